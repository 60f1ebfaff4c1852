"""Om lägesbilden: definitions, indicators, method, disclosure control, sources, support."""

from __future__ import annotations

import tomllib

import streamlit as st

from lagesbild.domain import codelists, config
from lagesbild.domain.formatting import fmt_number
from lagesbild.numbers import signals
from lagesbild.numbers.disclosure import table_of
from ui import render, state

state.ensure_entrypoint()

STODLINJER_FILE = config.DATA_DIR / "stodlinjer.toml"
rule = config.settings().disclosure
public_rule = config.settings().public_disclosure
threshold = rule.threshold

st.title("Om lägesbilden")
st.markdown(
    "Lägesbilden ger UmeBrå och beredningsgruppen en gemensam bild av våldsbejakande "
    "extremism i Umeå, byggd på avidentifierade rapporter från samverkanspartnerna "
    "(skola, socialtjänst, polis, säkerhetsavdelningen, regionen m.fl.). Den följer kommunens "
    "handlingsplan mot våldsbejakande extremism: UmeBrå samordnar arbetet och ansvarar för "
    "den lokala gemensamma lägesbilden. Rapporterna innehåller inga personuppgifter."
)

definitions, indicators, method, sources, support = st.tabs(
    ["Begrepp", "Indikatorer", "Metod och röjandekontroll", "Källor", "Stödlinjer och kontakt"])

lists = codelists.load()


def definition_table(field: str, heading: str) -> None:
    """The values of a code list with their descriptions, as a list that wraps."""
    lines = []
    for code in lists.for_field(field).codes:
        validity = _validity(code)
        tail = f" *({render.plain(validity)})*" if validity else ""
        lines.append(f"- **{render.plain(code.value)}** – "
                     f"{render.plain(code.description) if code.description else '–'}{tail}")
    st.markdown("\n".join(lines))


def _validity(code: codelists.Code) -> str:
    parts = []
    if code.valid_from:
        parts.append(f"från {code.valid_from}")
    if code.valid_to:
        parts.append(f"till {code.valid_to}")
    if code.replaced_by:
        parts.append(f"ersatt av {code.replaced_by}")
    return ", ".join(parts)


with definitions:
    st.markdown(
        "> ”Våldsbejakande extremism är ett samlingsbegrepp för rörelser, ideologier eller "
        "miljöer som inte accepterar en demokratisk samhällsordning och som främjar våld för "
        "att uppnå ett ideologiskt mål.” – Umeå kommuns handlingsplan mot våldsbejakande "
        "extremism")
    st.subheader("Former av extremism")
    definition_table("form", "Form")
    st.subheader("Händelsetyper")
    definition_table("handelse", "Händelsetyp")
    st.subheader("Rapporttyper")
    definition_table("rapporttyp", "Rapporttyp")
    st.subheader("Rapporterande verksamheter")
    definition_table("verksamhet", "Verksamhet")
    st.caption("Definitionerna kommer från kodlistorna i data/kodlistor/ och kan redigeras där.")

with indicators:
    st.markdown(f"""
**Antal rapporter** – rapporter i urvalet (period, område, form, verksamhet, rapporttyp).
En rapport räknas en gång även om den har rättats i en senare fil.

**Orosrapporter och incidenter** – rapporttypen *Oro* gäller oro för en enskild person;
*Incident* en händelse som har inträffat.

**Ärenden i konsultationsforum** – rapporter som har tagits upp i konsultationsforum.

**Förändring mot föregående kvartal och mot samma kvartal i fjol** – skillnaden i antal och
i procent (procent visas när jämförelsetalet är minst {signals.MIN_BASE_FOR_PERCENT}), räknad
bara på de verksamheter som har rapporterat båda kvartalen. Förändringen är ingen bedömning;
se *Hur vi avgör vad som är ovanligt* under Metod.

**Normalt intervall** – det band i trenddiagrammen inom vilket ett kvartals antal inte är
ovanligt, utifrån tidigare kvartal (se Metod). En ring markerar ett kvartal som är *ovanligt
högt* eller *ovanligt lågt*.

**Rapporter per 10 000 invånare och år** – antal rapporter delat med befolkningen i
stadsdelen (eller kommunen), gånger 10 000, omräknat till ett helt år: ett kvartal räknas
gånger fyra, ett år med färre än fyra kvartal räknas upp till helår (och markeras så), en
period på flera år delas med antalet år. Befolkningen är SCB:s siffra för respektive år;
saknas ett år används närmaste år högst ett år före eller efter, och det står i diagrammet
(t.ex. "befolkning 2025 används för 2024"). Omfattar perioden flera år används ett medelvärde av
årens befolkning, vägt efter antal kvartal. Saknas befolkning för något år i perioden visas
ingen kvot. Digitalt och Okänt har ingen befolkning och ingen kvot.

**Andel kvinnor/män och åldersgrupper** – andelar av dem där uppgiften är känd; hur många som
är okända redovisas alltid bredvid. Annat kön redovisas tillsammans med okänt kön
(Annat/okänt), eftersom det nästan alltid är för få för att visas för sig; andelarna gäller då
kvinnor och män.

**Rapporteringstäckning** – en verksamhet som har rapporterat under något av de fyra
föregående kvartalen men inte för kvartalet markeras *saknas*. Antalen för kvartalet är då
ofullständiga.

**Serieavbrott** – när en kategori införs, byter namn eller slås ihop markeras det med en
streckad linje i trenddiagrammen.
""")

with method:
    st.subheader("Hur vi avgör vad som är ovanligt")
    st.markdown(signals.METHOD_TEXT)
    st.subheader("Röjandekontroll")
    internal = table_of(rule)
    st.markdown(f"""
**Hur siffrorna skyddas.** Lägesbilden bygger på få och känsliga rapporter. För att ingen
enskild ska kunna pekas ut får varje uppgift ett litet, fast tillägg innan den visas: ett antal
kan vara upp till {internal.max_deviation} högre eller lägre än det verkliga. I den publika
versionen avrundas antalen till jämna {public_rule.rounding}-tal, ibland uppåt och ibland
nedåt. Tillägget bestäms av de rapporter som ingår, så samma uppgift visar alltid samma siffra,
var den än står. Därför går det inte att räkna fram en dold uppgift genom att jämföra tabeller
eller perioder.

- Antal från 1 till {threshold - 1} visas som **<{threshold}** (i den publika versionen 1 till
  {public_rule.threshold - 1} som **<{public_rule.threshold}**), aldrig som siffra och aldrig
  som 0. En nolla är alltid en verklig nolla.
- Två punkter (**..**) betyder att uppgiften döljs för att den ingår i en grupp med färre än
  {threshold} rapporter (en rad- eller kolumnsumma, eller året för ett kvartal).
- Summor, andelar, kvoter och förändringar räknas från de visade siffrorna, så en totalsumma
  kan skilja sig något från summan av sina delar. Väljer du flera områden, former eller
  verksamheter, eller en period som inte är hela kvartal eller kalenderår, är talet summan av
  de visade delarna. Är en del dold visas summan som ungefärlig (**≈ 28**): de visade
  delarna plus mitten av det möjliga för varje dold del (för <{threshold}:
  {fmt_number(threshold / 2, 1)}, för ..: {fmt_number((threshold - 1) / 2, 1)}). Den räknas
  bara ur det som redan visas och avslöjar därför inget; är de visade delarna tillsammans
  färre än {threshold} döljs summan (..).
- Annat kön redovisas alltid tillsammans med okänt kön (Annat/okänt), i alla tabeller och
  exporter.
- I diagrammen är dolda värden grå (i kartan och rutnätet) eller streckade och märkta
  **<{threshold}** – de ritas aldrig som 0. Nedladdade tabeller och mötesunderlag har samma
  skydd.
- Analytiker ser exakta antal. Det de exporterar för möten har skyddade siffror, om de inte
  uttryckligen väljer en intern export med exakta antal (den loggas).

Metoden kallas *cellnyckelmetoden* och används av statistikmyndigheter som låter användare
göra egna tabeller (Australian Bureau of Statistics, brittiska ONS). Varje rapport får en fast
slumpnyckel; en uppgifts nyckel räknas fram ur nycklarna för rapporterna i den, och tillägget
slås upp i en tabell med nyckeln och antalet.
""")

with sources:
    st.markdown("""
- **Rapporterna** – partnernas avidentifierade incident- och orosrapporter, sammanställda
  kvartalsvis av UmeBrå och inlästa via kalkylarksmallen.
- **Områden** – SCB:s regionala statistikområden (RegSO 2025), 42 områden i Umeå kommun,
  licens CC0. Indelningen av RegSO-områden i stadsdelar är en redigerbar standard
  (data/omraden_umea.csv), inte en officiell indelning.
- **Befolkning** – SCB:s befolkning per RegSO-område (summerad från DeSO), licens CC0
  (data/befolkning.csv). Kontrollera siffrorna mot SCB innan kvoter publiceras.
- **Kartan** – gränser för RegSO 2025 från SCB (CC0). Kartan ritas utan bakgrundskarta och
  fungerar utan internet.
""")
    as_of = state.data_as_of() if state.has_reports() else None
    if as_of:
        st.caption(f"Data per {as_of:%Y-%m-%d}.")


def load_support() -> dict[str, list[dict[str, object]]]:
    try:
        return tomllib.loads(STODLINJER_FILE.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        st.error(f"Filen {STODLINJER_FILE.name} kunde inte läsas: {exc}")
        return {}


def support_list(entries: list[dict[str, object]]) -> None:
    for entry in entries:
        number = str(entry.get("nummer", "")).strip()
        line = f"**{entry.get('namn', '')}**"
        if number:
            line += f" – {number}"
        if entry.get("verifiera"):
            line += " *(verifiera)*"
        if entry.get("beskrivning"):
            line += f"  \n{entry['beskrivning']}"
        if entry.get("webb"):
            line += f"  \n[{entry['webb']}]({entry['webb']})"
        st.markdown(line)


with support:
    data = load_support()
    st.info("Vid akut fara: ring **112**.", icon=":material/emergency:")
    left, right = st.columns(2)
    with left:
        st.subheader("Nationella stödlinjer")
        support_list(data.get("nationella", []))
    with right:
        st.subheader("Umeå kommun")
        support_list(data.get("kommunen", []))
    where = (STODLINJER_FILE.relative_to(config.PROJECT_DIR)
             if STODLINJER_FILE.is_relative_to(config.PROJECT_DIR) else STODLINJER_FILE)
    st.caption(f"Uppgifterna finns i {where} "
               "och kan redigeras där. Uppgifter inom hakparentes är inte ifyllda ännu.")
