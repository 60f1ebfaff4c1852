"""Lägesbild: the engine behind the joint situational picture of violent extremism.

Nothing in this package imports Streamlit (import-linter checks it). The folders are the spine,
in the order data flow through them; a part may import the parts below it, never above
(`make lint` checks the layers):

    domain/    plain concepts every part shares: settings and paths (config), quarters
               (periods), text matching, Swedish formatting, code lists and areas, the data
               contracts (stored fields), Problem (what every refusal is made of)
    store/     the database: the only code that changes it (Store: batches, versions,
               rollback), schema and migrations, the audit log, backup and restore
    intake/    everything that comes in, through one pipeline for every kind of data (pipeline,
               steps; each kind a declaration in kinds): reading spreadsheets, the privacy
               guard, validation, the partner register and report identity, nil returns,
               problem reports, templates, reference data (code lists, population), the
               follow-up files and edits, the import history, demo data
    numbers/   every number shown: filters and queries, indicators, disclosure control (the
               one place that protects numbers), signals, population and rates, the summary,
               the follow-up figures, context events
    charts/    plotly figures built from protected tables: theme, context (titles, source
               line), points, figure assembly, events on charts, geometry (shapely), and
               one module per chart family (trend, multiples, bars, heatmap, maps)
    views/     the chart catalogue the pages and the exports share: each entry's published
               table (indicator call, shaping, the role's protection) and the figure built
               from that table alone; the key figures' words; one breakdown per role
    export/    the meeting pack and its files (PowerPoint, PDF, Excel, images), public
               variant; every chart of the pack is a views entry
    editions/  the quarter's lägesbild as approved editions: drafts of the analysts'
               assessment in sections beside their charts, comments, approval, the frozen
               published tables and texts of each version, revisions, exports of a version
    access/    roles, local accounts, sign-in modes and the access policy through which every
               guarded action and every audit entry of an action goes
    service/   the app's start and stop (runtime: the database, the local channel for the
               command line, scheduled and verified backups), operations (backups that are
               checked and recorded, the health check), seeding demo data
    cli/       the command line, one module per command group (`edition` among them); a
               command runs inside the dashboard when it holds the database (forward)

charts/, numbers/ and intake/ are independent of each other. The dashboard (app.py, pages/,
ui/) sits on top and only calls the engine.

Glossary (one name per concept; Swedish names are the ones users see):

    rapport          one anonymised incident or concern report from a partner
    rapporttyp       Incident or Oro (concern)
    partner          the organisation that sends reports (a school, the police, …), kept in
                     the partner register (never a person)
    verksamhet       the sector a report comes from (Polis, Grundskola, …); a partner has one
    område           one of the municipality's districts (13 in Umeå, plus Digitalt and Okänt,
                     which are no place: column plats = nej in omrade.csv); the UI calls it
                     "Område" (exports say "stadsdel" in chart titles)
    RegSO            SCB's regional statistical area (42 in Umeå); each belongs to one område
    form             form of violent extremism (Högerextremism, …)
    händelse         event type (Propaganda, Hot, Oro för individ, …)
    kvartal          a calendar quarter, written 2026K3
    import / batch   one file (or one edit in the app) stored as a unit; it can be rolled back
    leverans         a partner's reports for a quarter (coverage: delivered or missing);
                     "inga rapporter" (a nil return) is a delivery of 0
    röjandekontroll  disclosure control (the cell-key method): small counts are never
                     published, the others a little perturbed, the same cell alike everywhere
    cellnyckel       a cell's key: the sum of its reports' record keys (`rkey`), which fixes
                     its perturbation
    signal           a flag that a count is unusual or has changed for real
    nyckeltal        the quarter's key figures on the overview
    beredningsgrupp  the preparation group, who read the protected picture
    analytiker       the analysts, who import data and may see exact counts
    godkannare       the approver (for the steering group's decision), who approves
                     (fastställer) the quarter's lägesbild; analysts approve by default
    utgåva           an approved version of a quarter's lägesbild ("fastställd
                     lägesbild"): its texts and published tables frozen; a later version
                     is approved with a revision note, and every version stays available
    reviderad        an approved quarter whose exact counts later data have changed
                     ("reviderad sedan fastställandet"), shown in protected form
"""

__version__ = "0.1.0"
