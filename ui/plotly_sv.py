"""Plotly in Swedish, offline: the locale is registered inline through the config (`locales`),
so no locale bundle has to be loaded. Streamlit passes `config` to Plotly as it is.

    st.plotly_chart(fig, config=PLOTLY_CONFIG_SV, alt=sentence, theme=None)  # ui.render

The dictionary covers the texts a user of the dashboard's charts can meet (the mode bar's
tooltips, which are also the buttons' aria-labels, and the double-click hints). Wording after
plotly.js-locales `sv.js` (MIT, © Plotly, Inc.), with months and days in lower case as
Swedish writes them. Numbers: `layout.separators=", "` (decimal comma, thin space) is set per
figure by lagesbild.charts; `format.decimal/thousands` here covers figures that lack it.
"""

from __future__ import annotations

SV_LOCALE = {
    "dictionary": {
        "Autoscale": "Autoskala",
        "Box Select": "Välj med rektangel",
        "Compare data on hover": "Jämför data när muspekaren hålls över",
        "Double-click on legend to isolate one trace": "Dubbelklicka på förklaringen för att "
                                                       "visa bara en serie",
        "Double-click to zoom back out": "Dubbelklicka för att zooma ut igen",
        "Download plot": "Ladda ner diagrammet",
        "Download plot as a PNG": "Ladda ner diagrammet som PNG",
        "Download plot as a png": "Ladda ner diagrammet som PNG",
        "Lasso Select": "Välj med lasso",
        "Pan": "Panorera",
        "Produced with Plotly.js": "Skapat med Plotly.js",
        "Reset": "Återställ",
        "Reset axes": "Återställ axlarna",
        "Reset view": "Återställ vyn",
        "Reset views": "Återställ vyerna",
        "Show closest data on hover": "Visa närmaste värde när muspekaren hålls över",
        "Snapshot succeeded": "Bilden är klar",
        "Sorry, there was a problem downloading your snapshot!": "Bilden kunde inte laddas ner.",
        "Taking snapshot - this may take a few seconds": "Bilden skapas – det kan ta några "
                                                         "sekunder",
        "Toggle Spike Lines": "Visa eller dölj hjälplinjer",
        "Toggle show closest data on hover": "Visa eller dölj närmaste värde",
        "Zoom": "Zooma",
        "Zoom in": "Zooma in",
        "Zoom out": "Zooma ut",
        "trace": "serie",
        "lat:": "lat:",
        "lon:": "lon:",
    },
    "format": {
        "days": ["söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag"],
        "shortDays": ["sön", "mån", "tis", "ons", "tor", "fre", "lör"],
        "months": ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
                   "september", "oktober", "november", "december"],
        "shortMonths": ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt",
                        "nov", "dec"],
        "date": "%Y-%m-%d",
        "decimal": ",",
        "thousands": "\u2009",
    },
}

PLOTLY_CONFIG_SV = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
    "locale": "sv",
    "locales": {"sv": SV_LOCALE},
}
