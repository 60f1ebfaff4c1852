"""Signals that mean something: is a quarter unusual, has a level changed for good?

Pure numpy/scipy. The indicator layer passes, for one *panel* (the series shown together: the
four key figures, the forms or the districts, each for the filters in force), the exact counts
per series, partner and quarter, and which partner delivered which quarter. Two flags:

* **Ovanligt kvartal** (`HIGH`/`LOW`): the count of a quarter against what the earlier quarters
  predict. Window: the 8 previous quarters; from 16 earlier quarters all of them up to 20.
  Model, fitted per series by quasi-Poisson regression on the window: a level; plus a
  quarter-of-year effect when it is supported (F-test p < 0.05 for the series itself or for the
  panel's reference series, by default the sum of the panel); from 16 quarters also a linear
  trend when it is supported (quasi-Wald p < 0.05). Without terms this is the mean of the
  window; with the season and 8 quarters it is the mean of the same quarter in the two
  previous years. Dispersion: Pearson, pooled over the panel's series, widened for being
  estimated ((t/z)^2 at the 0.995 quantile for its degrees of freedom), at least 1. The count
  is compared with the negative-binomial predictive distribution (mean = prediction, variance
  = dispersion * prediction + the variance of the prediction itself); one-sided p <=
  `ALPHA_TAIL` (0.005) per tail, a high only when the count is >= `MIN_HIGH_COUNT`, a low only
  when the expected count is >= `MIN_LOW_EXPECTED`; then Benjamini-Hochberg at `FDR` (5 %)
  over the panel's tested series in that quarter, on the two-sided p = 2 * the smaller tail p.
* **Varaktig förändring** (`UP`/`DOWN`): the last four quarters against the four before, with
  the same dispersion (that of the unusual test of the first of the last four quarters, so
  that a change inside them does not inflate it): the first sum given both sums is (after
  dividing by the dispersion) binomial with p = 1/2; two-sided p <= `SUSTAINED_ALPHA` (0.01),
  only when the two sums together are >= `SUSTAINED_MIN_TOTAL` (20); BH at 5 % in the panel.

Missing data, like for like: each comparison (the tested quarter and its window) counts only
the partners that delivered in *every* quarter it uses; the others are left out of all its
quarters (`included`). Nil returns are deliveries with zero reports and must be marked as
delivered. Quarters before the panel's first delivery are outside the data (never zeros); a
quarter that is not complete (still running) is withheld; a series break (`valid`) restarts a
series' history.

The Poisson fits are closed-form (level, level per quarter of the year) or a batched IRLS
(with trend) in numpy, all series and quarters of a panel at once; they equal statsmodels' GLM
(tested) at a hundredth of the cost of fitting it series by series.

Over 500 lines as one cohesive job: the signal method above (its flags, parameters and
Swedish method text, the batched fits and the two tests), whose steps share the panel's
arrays and cannot be read apart; the wording of like-for-like changes and the rates are in
lagesbild.numbers.changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import special, stats

from lagesbild.domain.periods import parse_quarter

# The like-for-like wording and the rates beside the signals live in lagesbild.numbers.changes;
# callers find them here, as before.
from lagesbild.numbers.changes import MIN_BASE_FOR_PERCENT as MIN_BASE_FOR_PERCENT
from lagesbild.numbers.changes import RATE_UNIT as RATE_UNIT
from lagesbild.numbers.changes import Change as Change
from lagesbild.numbers.changes import annual_rate as annual_rate
from lagesbild.numbers.changes import comparable as comparable
from lagesbild.numbers.changes import no_change_text as no_change_text
from lagesbild.numbers.changes import year_label as year_label

# -- flags, reasons and parameters ------------------------------------------------------------
HIGH = "ovanligt högt"
LOW = "ovanligt lågt"
UP = "varaktig ökning"
DOWN = "varaktig minskning"

PENDING = "kvartalet pågår"
BEFORE_DATA = "före första data"
SHORT = "för kort serie"
NO_PARTNERS = "ingen verksamhet har rapporterat alla jämförda kvartal"
SMALL = "för små tal för en bedömning"
BREAK = "serieavbrott: serien är inte jämförbar det här kvartalet"
# Reasons under which the flag is withheld (the CLI's "undanhållen"); SMALL is a judgement:
# the count cannot be unusual under the rules, so the flag is simply empty.
WITHHELD = (PENDING, BEFORE_DATA, SHORT, NO_PARTNERS, BREAK)

ALPHA_TAIL = 0.005
FDR = 0.05
MIN_HIGH_COUNT = 5
MIN_LOW_EXPECTED = 5.0
SHORT_WINDOW = 8
GLM_FROM = 16
MAX_WINDOW = 20
TERM_ALPHA = 0.05
SUSTAINED_QUARTERS = 4
SUSTAINED_ALPHA = 0.01
SUSTAINED_MIN_TOTAL = 20
# Quarters of counts to pass before the first quarter to be assessed (its window, and the
# window of the quarter three earlier, whose dispersion the sustained test uses).
LOOKBACK = MAX_WINDOW + SUSTAINED_QUARTERS - 1
_Z_TAIL = float(stats.norm.isf(ALPHA_TAIL))
_Z_TERM = float(stats.norm.isf(TERM_ALPHA / 2))

# Numbers in words, for the model names that sentences quote (a digit there would read as a
# count).
_WORDS = {4: "fyra", 8: "åtta", 16: "sexton", 20: "tjugo"}
_MODEL_NAMES = {  # (window >= GLM_FROM, season, trend) -> description
    (False, False, False): f"snittet av de {_WORDS[SHORT_WINDOW]} föregående kvartalen",
    (False, True, False): "samma kvartal de två föregående åren",
    (True, False, False): "snittet av de föregående kvartalen",
    (True, True, False): "de föregående kvartalen med säsongsvariation",
    (True, False, True): "de föregående kvartalen med trend",
    (True, True, True): "de föregående kvartalen med trend och säsongsvariation",
}

METHOD_TEXT = (
    "Hur vi avgör vad som är ovanligt: antalen varierar av slump från kvartal till kvartal, "
    "ofta mer än ren slump eftersom rapporter kommer i små klungor. Varje serie – "
    "nyckeltalen, formerna av extremism och områdena – bedöms därför mot sin egen historia "
    "och mot hur mycket serierna som visas tillsammans brukar variera.\n\n"
    f"Ovanligt högt eller lågt: det väntade antalet räknas fram ur de {SHORT_WINDOW} "
    f"föregående kvartalen, eller ur upp till {MAX_WINDOW} tidigare kvartal när det finns "
    f"minst {GLM_FROM} tidigare kvartal. Har antalen ett säsongsmönster räknar vi med det "
    f"(med {SHORT_WINDOW} kvartal: samma kvartal de två föregående åren), och med minst "
    f"{GLM_FROM} kvartal också med en jämn ökning eller minskning när den är tydlig. Ett "
    "kvartal är ovanligt bara om ett så högt (lågt) antal uppstår av slump högst en gång på "
    f"{round(1 / ALPHA_TAIL)} kvartal, med hänsyn till variationen och till att det väntade "
    "antalet självt är osäkert, och om utslaget håller när man tar hänsyn till hur många "
    "serier som visas tillsammans (Benjamini–Hochbergs metod, högst "
    f"{round(FDR * 100)} % falska utslag bland utslagen). Ovanligt högt kräver minst "
    f"{MIN_HIGH_COUNT} rapporter och ovanligt lågt att minst {int(MIN_LOW_EXPECTED)} var att "
    f"vänta. Med färre än {SHORT_WINDOW} tidigare kvartal är serien för kort för en "
    "bedömning.\n\n"
    "Varaktig ökning eller minskning: summan av de fyra senaste kvartalen jämförs med summan "
    "av de fyra kvartalen före. Skillnaden ska uppstå av slump högst en gång på "
    f"{round(1 / SUSTAINED_ALPHA)}, med samma hänsyn, och summorna ska tillsammans vara minst "
    f"{SUSTAINED_MIN_TOTAL}.\n\n"
    "Förändringar mot föregående kvartal och samma kvartal i fjol är antal och procent "
    f"(procent bara när jämförelsetalet är minst {MIN_BASE_FOR_PERCENT}), inga bedömningar. "
    "\"Ingen säkerställd förändring\" betyder inte att nivån är densamma, bara att "
    "skillnaden kan vara slump.\n\n"
    "Saknade leveranser: vi jämför lika med lika. En verksamhet som inte har rapporterat för "
    "något av de kvartal en jämförelse använder räknas inte med i den jämförelsen, varken för "
    "det aktuella kvartalet eller de tidigare; sidan anger vilka. En nollrapport (inget att "
    "rapportera) räknas som noll. Kvartal före de första uppgifterna räknas som saknade, "
    "inte som noll, och ett kvartal som pågår bedöms inte. Vid ett serieavbrott (en kategori "
    "börjar eller slutar användas, eller tar över en annans rapporter) börjar seriens "
    "historia om.\n\n"
    "Ett utslag betyder att något troligen har ändrats – i verkligheten eller i hur "
    "verksamheterna rapporterar – inte varför. Utslag visas bara där antalet de gäller visas, "
    "och det väntade antalet och det normala intervallet bara där alla antal de bygger på "
    "visas."
)


# The same in brief, for the meeting pack's method page.
METHOD_SUMMARY = (
    "Hur vi avgör vad som är ovanligt: ett kvartals antal jämförs med det antal som var att "
    f"vänta utifrån de {SHORT_WINDOW} föregående kvartalen (från {GLM_FROM} tidigare kvartal "
    f"upp till {MAX_WINDOW}, med säsongsmönster och trend när de är tydliga). Det kallas "
    "ovanligt högt eller lågt bara om ett så högt (lågt) antal uppstår av slump högst en gång "
    f"på {round(1 / ALPHA_TAIL)} kvartal, med hänsyn till hur mycket antalen brukar variera "
    f"och till hur många serier som visas tillsammans (högst {round(FDR * 100)} % falska "
    "utslag). Varaktig ökning eller minskning: de fyra senaste kvartalen mot de fyra före, "
    f"en skillnad som uppstår av slump högst en gång på {round(1 / SUSTAINED_ALPHA)}. "
    "Förändringar mot föregående kvartal och samma kvartal i fjol är antal och procent, inga "
    "bedömningar. Jämförelserna räknar bara med verksamheter som har rapporterat alla "
    "jämförda kvartal; kvartal före de första uppgifterna räknas som saknade och ett kvartal "
    "som pågår bedöms inte. Metoden beskrivs utförligt på sidan Om lägesbilden."
)


def quarter_index(label: str) -> int:
    """'2026K3' -> 2026 * 4 + 2: consecutive quarters have consecutive indices."""
    year, quarter = parse_quarter(label)
    return year * 4 + quarter - 1


# -- results ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Signals:
    """Both flags for every series (rows) and quarter (columns) of a panel.

    Arrays are (S, T) for one panel ((G, S, T) for a batch), quarter-level ones (T,) or (T, P).
    compared: the count the flag is about (partners of the comparison only); expected, lower,
    upper: the prediction and the range of counts that are not unusual per tail (before BH);
    p_high, p_low: one-sided p-values (NaN when not tested); unusual: HIGH, LOW or ''; reason:
    '' when tested, else one of the reasons (WITHHELD ones, or SMALL); model: what the
    expectation is based on; phi: the panel's dispersion; included: partners in the quarter's
    comparison. sustained_*: the same for the four-against-four comparison (last4, prev4).
    """

    quarters: np.ndarray
    compared: np.ndarray
    expected: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    p_high: np.ndarray
    p_low: np.ndarray
    unusual: np.ndarray
    reason: np.ndarray
    model: np.ndarray
    phi: np.ndarray
    included: np.ndarray
    last4: np.ndarray
    prev4: np.ndarray
    p_sustained: np.ndarray
    sustained: np.ndarray
    sustained_reason: np.ndarray
    sustained_included: np.ndarray

    @property
    def withheld(self) -> np.ndarray:
        return np.isin(self.reason, WITHHELD)

    @property
    def sustained_withheld(self) -> np.ndarray:
        return np.isin(self.sustained_reason, WITHHELD)


# -- the method -------------------------------------------------------------------------------
def assess(counts: np.ndarray, delivered: np.ndarray | None = None,
           quarters: Sequence[int] | Sequence[str] | np.ndarray | None = None,
           complete: np.ndarray | None = None, *, valid: np.ndarray | None = None,
           reference: int | Sequence[int | None] | None = None,
           panels: Sequence[int] | np.ndarray | None = None,
           columns: Sequence[int] | None = None) -> Signals:
    """Both flags for a panel of series.

    counts: exact counts, (S, T) or per partner (S, P, T) (a batch of panels: (G, S, P, T)).
    delivered: (P, T) (batch (G, P, T)) True where the partner delivered the quarter, nil
      returns included; for (S, T) counts a (T,) mask; None: every quarter delivered.
    quarters: consecutive quarters ('2026K3' or `quarter_index` values) of the columns.
    complete: (T,) False for a quarter still running (only at the end); default all complete.
    valid: (S, T) (batch (G, S, T)) False where a series does not exist or is not comparable
      (a code-list category before it starts or after it ends, or the category that takes over
      another's reports before the break): a series' history starts after its last invalid
      quarter. Default: all valid.
    reference: the series whose seasonality is tested for the whole panel (e.g. the total
      among the key figures); None: the sum of the panel's series. With `panels`, one entry
      (a series index or None) per panel.
    panels: (S,) the panel (0, 1, ...) of each series when several panels are assessed
      together (see `assess_panels`): BH and the season reference are per panel, the
      dispersion is pooled over all series. Default: one panel.
    columns: the columns to assess (default all; the others are returned as NaN / '').
    """
    y, dl, single = _normalise(counts, delivered)
    g_n, s_n, p_n, t_n = y.shape
    qidx = _quarter_indices(quarters, t_n)
    done = np.ones(t_n, bool) if complete is None else np.asarray(complete, bool)
    if done.shape != (t_n,):
        raise ValueError("complete ska ha ett värde per kvartal.")
    if np.any(~done[:-1] & done[1:]):
        raise ValueError("Bara de sista kvartalen kan vara ofullständiga (pågående).")
    pid = np.zeros(s_n, int) if panels is None else np.asarray(panels, int)
    if pid.shape != (s_n,) or (s_n and (pid.min() < 0 or np.any(np.diff(np.unique(pid)) != 1)
                                        or pid.min() != 0)):
        raise ValueError("panels ska ange panelen 0, 1, … för varje serie.")
    k_n = int(pid.max()) + 1 if s_n else 1
    refs: list[int | None]
    if isinstance(reference, Sequence):
        refs = list(reference)
    else:
        refs = [reference] + [None] * (k_n - 1) if reference is not None else [None] * k_n
    if len(refs) != k_n or any(r is not None and not (0 <= r < s_n and pid[r] == k)
                               for k, r in enumerate(refs)):
        raise ValueError("reference ska vara en av panelens serier (en per panel).")
    ok_series = (np.ones((g_n, s_n, t_n), bool) if valid is None
                 else np.broadcast_to(np.asarray(valid, bool), (g_n, s_n, t_n)))
    cols = np.arange(t_n) if columns is None else np.unique(np.asarray(columns, int))
    if cols.size and (cols[0] < 0 or cols[-1] >= t_n):
        raise ValueError("columns ska vara kolumner i counts.")
    out = _Builder(g_n, s_n, p_n, t_n)
    if not cols.size:
        return out.build(qidx, single)
    # The data of a panel start at its first complete quarter with a delivery.
    any_delivery = dl.any(axis=1) & done[None]  # (G, T)
    first = np.where(any_delivery.any(axis=1), any_delivery.argmax(axis=1), t_n)
    # The sustained test takes the dispersion of the unusual test three quarters earlier.
    back = cols - (SUSTAINED_QUARTERS - 1)
    every = np.union1d(cols, back[back >= 0])
    panel = every[None] - first[:, None]  # (G, J): earlier quarters inside the data
    history = np.minimum(panel[..., None], _runs(ok_series)[:, :, every].transpose(0, 2, 1))
    exists = ok_series[:, :, every].transpose(0, 2, 1)  # (G, J, S)
    ok = (history >= SHORT_WINDOW) & exists & done[every][None, :, None]
    pos = np.searchsorted(every, cols)
    hist, okc = history[:, pos], ok[:, pos]
    base = np.where(panel[:, pos, None] < 0, BEFORE_DATA, np.where(
        ~done[cols][None, :, None], PENDING, np.where(
            ~exists[:, pos], BREAK, np.where(hist < SHORT_WINDOW, SHORT, "")))).astype(object)
    out.reason[..., cols] = base.transpose(0, 2, 1)
    out.sustained_reason[..., cols] = base.transpose(0, 2, 1)
    if not ok.any():
        return out.build(qidx, single)
    fit = _unusual(y, dl, every, panel, history, ok, pid, refs)
    _write(out, fit, cols, pos, okc, "reason")
    out.phi[:, cols] = fit["phi"][:, pos]
    out.included[:, cols] = fit["included"][:, pos] & okc.any(-1)[..., None]
    for name in ("compared", "expected", "lower", "upper", "p_high", "p_low", "unusual",
                 "model"):
        getattr(out, name)[..., cols] = fit[name][:, pos].transpose(0, 2, 1)
    # Sustained: dispersion from three quarters back when that quarter has one.
    k3 = np.searchsorted(every, np.maximum(back, 0))
    phi3 = np.where((back >= 0)[None], fit["phi"][:, k3], np.nan)
    phi = np.where(np.isnan(phi3), fit["phi"][:, pos], phi3)
    sus = _sustained(y, dl, cols, okc, phi, pid)
    _write(out, sus, cols, np.arange(cols.size), okc, "sustained_reason")
    out.sustained_included[:, cols] = sus["included"] & okc.any(-1)[..., None]
    for name, key in (("last4", "last"), ("prev4", "prev"), ("p_sustained", "p"),
                      ("sustained", "flag")):
        getattr(out, name)[..., cols] = sus[key].transpose(0, 2, 1)
    return out.build(qidx, single)


def _runs(valid: np.ndarray) -> np.ndarray:
    """For each column, how many consecutive valid columns come right before it."""
    run = np.zeros(valid.shape, int)
    for c in range(1, valid.shape[-1]):
        run[..., c] = np.where(valid[..., c - 1], run[..., c - 1] + 1, 0)
    return run


def _write(out: _Builder, fit: dict, cols: np.ndarray, pos: np.ndarray, ok: np.ndarray,
           field: str) -> None:
    """Reasons for assessable series-quarters: no comparable partner, or numbers too small."""
    live = fit["live"][:, pos]  # (G, J, S)
    tested = fit["tested"][:, pos]
    reason = getattr(out, field)[..., cols]
    no_partner = (ok & ~live).transpose(0, 2, 1)
    small = (live & ~tested).transpose(0, 2, 1)
    getattr(out, field)[..., cols] = np.where(no_partner, NO_PARTNERS,
                                              np.where(small, SMALL, reason))


def unusual(counts: np.ndarray, delivered: np.ndarray | None = None,
            quarters: Sequence[int] | Sequence[str] | np.ndarray | None = None,
            complete: np.ndarray | None = None, **kwargs: object) -> Signals:
    """`assess`; read the fields expected, lower, upper, p_high, p_low, unusual, reason."""
    return assess(counts, delivered, quarters, complete, **kwargs)  # type: ignore[arg-type]


def sustained(counts: np.ndarray, delivered: np.ndarray | None = None,
              quarters: Sequence[int] | Sequence[str] | np.ndarray | None = None,
              complete: np.ndarray | None = None, **kwargs: object) -> Signals:
    """`assess` (the sustained test uses the dispersion of the unusual one); read last4,
    prev4, p_sustained, sustained, sustained_reason."""
    return assess(counts, delivered, quarters, complete, **kwargs)  # type: ignore[arg-type]


_PER_SERIES = ("compared", "expected", "lower", "upper", "p_high", "p_low", "unusual", "reason",
               "model", "last4", "prev4", "p_sustained", "sustained", "sustained_reason")


def assess_panels(panels: Mapping[str, np.ndarray], delivered: np.ndarray | None = None,
                  quarters: Sequence[int] | Sequence[str] | np.ndarray | None = None,
                  complete: np.ndarray | None = None, *,
                  valid: Mapping[str, np.ndarray] | None = None,
                  references: Mapping[str, int | None] | None = None,
                  columns: Sequence[int] | None = None) -> dict[str, Signals]:
    """Panels shown together (the key figures, the forms and the districts for the filters in
    force), each as counts for `assess` with the same partners and quarters: one dispersion
    pooled over all their series, BH and the season reference within each panel. references:
    per panel the series index (within the panel) of its reference, e.g. {'nyckeltal': 0}."""
    names = list(panels)
    arrays = [np.asarray(panels[name]) for name in names]
    axis = 1 if arrays[0].ndim == 4 else 0
    sizes = [a.shape[axis] for a in arrays]
    starts = np.concatenate([[0], np.cumsum(sizes)])
    refs: list[int | None] = []
    for k, name in enumerate(names):
        r = (references or {}).get(name)
        refs.append(None if r is None else int(starts[k] + r))
    masks = None
    if valid is not None:
        t_n = arrays[0].shape[-1]
        masks = np.concatenate([np.broadcast_to(
            np.asarray(valid[name], bool) if name in valid else True,
            (*a.shape[:axis], a.shape[axis], t_n)) for name, a in zip(names, arrays, strict=True)],
            axis=axis)
    res = assess(np.concatenate(arrays, axis=axis), delivered, quarters, complete, valid=masks,
                 reference=refs, panels=np.repeat(np.arange(len(names)), sizes),
                 columns=columns)
    out_axis = 0 if res.compared.ndim == 2 else 1
    return {name: replace(res, **{f: np.take(getattr(res, f), np.arange(starts[k],
                                                                      starts[k + 1]),
                                             axis=out_axis) for f in _PER_SERIES})
            for k, name in enumerate(names)}


class _Builder:
    def __init__(self, g: int, s: int, p: int, t: int) -> None:
        def nan() -> np.ndarray:
            return np.full((g, s, t), np.nan)

        def text() -> np.ndarray:
            return np.full((g, s, t), "", dtype=object)

        self.compared, self.expected, self.lower, self.upper = nan(), nan(), nan(), nan()
        self.p_high, self.p_low, self.last4, self.prev4 = nan(), nan(), nan(), nan()
        self.p_sustained = nan()
        self.unusual, self.reason, self.model = text(), text(), text()
        self.sustained, self.sustained_reason = text(), text()
        self.phi = np.full((g, t), np.nan)
        self.included = np.zeros((g, t, p), bool)
        self.sustained_included = np.zeros((g, t, p), bool)

    def build(self, qidx: np.ndarray, single: bool) -> Signals:
        def take(a: np.ndarray) -> np.ndarray:
            return a[0] if single else a

        return Signals(
            qidx, *(take(getattr(self, f)) for f in (
                "compared", "expected", "lower", "upper", "p_high", "p_low", "unusual",
                "reason", "model", "phi", "included", "last4", "prev4", "p_sustained",
                "sustained", "sustained_reason", "sustained_included")))


def _normalise(counts: np.ndarray, delivered: np.ndarray | None) \
        -> tuple[np.ndarray, np.ndarray, bool]:
    y = np.asarray(counts)
    if y.ndim < 2 or y.ndim > 4:
        raise ValueError("counts ska vara (serier, kvartal) eller (serier, verksamheter, "
                         "kvartal).")
    if y.size and (np.any(y < 0) or np.any(y != np.round(y))):
        raise ValueError("counts ska vara antal: hela tal, minst 0.")
    single = y.ndim < 4
    if y.ndim == 2:
        y = y[:, None, :]
        if delivered is not None:
            delivered = np.asarray(delivered, bool).reshape(1, -1)
    if y.ndim == 3:
        y = y[None]
        if delivered is not None:
            delivered = np.asarray(delivered, bool)[None]
    dl = (np.ones((y.shape[0], y.shape[2], y.shape[3]), bool) if delivered is None
          else np.asarray(delivered, bool))
    if dl.shape != (y.shape[0], y.shape[2], y.shape[3]):
        raise ValueError(f"delivered ska ha formen (verksamheter, kvartal) = "
                         f"{y.shape[2:]}, inte {dl.shape[-2:]}.")
    # Undelivered partner-quarters carry no counts (a stray row must not count).
    return np.where(dl[:, None], y, 0).astype(float), dl, single


def _quarter_indices(quarters: Sequence[int] | Sequence[str] | np.ndarray | None,
                     t_n: int) -> np.ndarray:
    if quarters is None:
        return np.arange(t_n)
    q = np.array([quarter_index(v) if isinstance(v, str) else int(v) for v in quarters])
    if q.shape != (t_n,) or (t_n > 1 and np.any(np.diff(q) != 1)):
        raise ValueError("quarters ska vara ett kvartal per kolumn, i följd utan luckor.")
    return q


def _window_sums(y: np.ndarray, dl: np.ndarray, cols: np.ndarray, n: np.ndarray,
                 length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each assessed column j (with window length n[g, j] <= length): the partners that
    delivered j and each of the n quarters before (G, J, P), and the panel's counts over those
    partners for the `length` quarters before j (G, J, S, length; oldest first; 0 outside the
    window) and for j (G, J, S)."""
    offsets = np.arange(-length, 0)
    lagged = np.clip(cols[:, None] + offsets[None, :], 0, None)  # (J, L)
    inwin = offsets[None, None, :] >= -n[:, :, None]  # (G, J, L)
    d_win = dl[:, :, lagged]  # (G, P, J, L)
    inc = ((d_win | ~inwin[:, None]).all(axis=-1) & dl[:, :, cols]).transpose(0, 2, 1)
    win = np.einsum("gjp,gspjl->gjsl", inc, y[:, :, :, lagged], optimize=True)
    now = np.einsum("gjp,gspj->gjs", inc, y[:, :, :, cols], optimize=True)
    return inc, win * inwin[:, :, None, :], now


_MODEL_TABLE = np.array([[_MODEL_NAMES[(lg, bool(c & 1), bool(c & 2))] if lg or c < 2 else ""
                          for c in range(4)] for lg in (False, True)], dtype=object)


def _unusual(y: np.ndarray, dl: np.ndarray, cols: np.ndarray, panel: np.ndarray,
             history: np.ndarray, ok: np.ndarray, pid: np.ndarray,
             refs: list[int | None]) -> dict:
    """The unusual-quarter test for the columns `cols`: panel (G, J) and history, ok
    (G, J, S) from `assess`. Each panel's reference series is fitted as an extra row."""
    s_n = y.shape[1]
    length = MAX_WINDOW

    def window(h: np.ndarray) -> np.ndarray:
        return np.where(h >= GLM_FROM, np.minimum(h, length), SHORT_WINDOW)

    k_n = len(refs)
    panel_ok = ok.any(-1)
    n_panel = window(panel)  # at least every series' window: partners are chosen on it
    ref_ok = np.stack([ok[..., pid == k].any(-1) for k in range(k_n)], axis=-1)  # (G, J, K)
    n = np.concatenate([window(history), np.repeat(n_panel[..., None], k_n, -1)], axis=-1)
    long = np.concatenate([ok & (history >= GLM_FROM),
                           ref_ok & (panel >= GLM_FROM)[..., None]], axis=-1)  # (G, J, S+K)
    inc, win, now = _window_sums(y, dl, cols, n_panel, length)
    ref = np.stack([win[:, :, pid == k].sum(2) if r is None else win[:, :, r]
                    for k, r in enumerate(refs)], axis=2)
    yw = np.concatenate([win, ref], axis=2)  # (G, J, S+K, L): + the references
    w = (np.arange(-length, 0) >= -n[..., None]).astype(float)
    rel = (np.arange(-length, 0)[None, :]) % 4 * np.ones((cols.size, 1), int)  # (J, L)
    # (quarter-of-year of each window quarter relative to the tested one: 0 = the same)
    level, season = _level_fit(yw, w), _season_fit(yw, w, rel)
    shape = yw.shape[:3]
    trend = both = None
    if long.any():
        gi, ji = np.nonzero(long.any(-1))
        time = np.broadcast_to(np.arange(-length, 0, dtype=float), rel.shape)
        design = np.stack([np.ones(rel.shape), time, *((rel == d).astype(float)
                                                       for d in (1, 2, 3))], axis=-1)
        trend = _scatter(_irls(yw[gi, ji], w[gi, ji], design[ji][..., :2],
                               level["fitted"][gi, ji]), gi, ji, shape)
        both = _scatter(_irls(yw[gi, ji], w[gi, ji], design[ji],
                              season["fitted"][gi, ji]), gi, ji, shape)
    total = (yw * w).sum(-1)  # (G, J, S+1)
    used = (total[..., :s_n] > 0) & ok
    lg = long
    # Dispersion of the largest candidate model, pooled over the series, for the term tests.
    full_pearson = season["pearson"] if both is None else np.where(lg, both["pearson"],
                                                                   season["pearson"])
    full_df = n - np.where(lg, 5, 4)
    phi_full = _pooled(full_pearson[..., :s_n], full_df[..., :s_n], used)
    df_pool = np.maximum((full_df[..., :s_n] * used).sum(-1), 1)
    dev_without = level["deviance"] if trend is None else np.where(lg, trend["deviance"],
                                                                   level["deviance"])
    dev_with = season["deviance"] if both is None else np.where(lg, both["deviance"],
                                                                season["deviance"])
    f_stat = np.maximum(np.nan_to_num(dev_without - dev_with), 0) / 3 / phi_full[..., None]
    p_season = np.where(total > 0, special.fdtrc(3, df_pool[..., None], f_stat), 1.0)
    season_on = (p_season[..., :s_n] < TERM_ALPHA) | (p_season[..., s_n + pid] < TERM_ALPHA)
    trend_on = np.zeros_like(season_on)
    if trend is not None and both is not None:
        pick = {k: np.where(season_on, both[k][..., :s_n], trend[k][..., :s_n])
                for k in ("beta_t", "var_t")}
        with np.errstate(invalid="ignore"):
            z = pick["beta_t"] / np.sqrt(phi_full[..., None] * pick["var_t"])
        trend_on = lg[..., :s_n] & (np.abs(np.nan_to_num(z)) > _Z_TERM)
    code = season_on.astype(int) + 2 * trend_on  # 0 level, 1 season, 2 trend, 3 both
    fits = [level, season, trend, both]

    def chosen(key: str) -> np.ndarray:
        value = np.zeros(code.shape)
        for c, fit in enumerate(fits):
            if fit is not None:
                value = np.where(code == c, fit[key][..., :s_n], value)
        return value

    n_par = np.array([1, 4, 2, 5])[code]
    phi = _pooled(chosen("pearson"), n[..., :s_n] - n_par, used, correct=True)  # (G, J)
    # Negative-binomial predictive distribution; all-zero windows (and empty quarter groups)
    # get the Jeffreys-type floor of half a report over the window.
    m = np.maximum(chosen("mu0"), 0.5 / n[..., :s_n])
    var_log = phi[..., None] * np.minimum(chosen("var0"), 2.0)
    v = phi[..., None] * m + m * m * var_log
    r, prob = m * m / (v - m), m / v
    live = ok & inc.any(axis=-1, keepdims=True)  # (G, J, S)
    count = now
    p_high = np.where(count >= 1, special.betaincc(r, np.maximum(count, 1), prob), 1.0)
    p_low = special.betainc(r, count + 1, prob)
    can_high = count >= MIN_HIGH_COUNT
    can_low = m >= MIN_LOW_EXPECTED
    tested = (can_high | can_low) & live
    p_hi = np.where(can_high, p_high, 1.0)
    p_lo = np.where(can_low, p_low, 1.0)
    p_two = np.where(tested, np.minimum(1.0, 2 * np.minimum(p_hi, p_lo)), np.nan)
    reject = _bh_by_panel(p_two, pid) & (p_two <= 2 * ALPHA_TAIL)
    flag = np.where(reject, np.where(p_hi <= p_lo, HIGH, LOW), "").astype(object)
    safe = live
    r_ok, p_ok = np.where(safe, r, 1.0), np.where(safe, prob, 0.5)
    upper = np.maximum(_nb_quantile(r_ok, p_ok, ALPHA_TAIL, upper=True), MIN_HIGH_COUNT - 1)
    lower = np.where(can_low, _nb_quantile(r_ok, p_ok, ALPHA_TAIL, upper=False), 0.0)
    model = _MODEL_TABLE[lg[..., :s_n].astype(int), code]

    def alive(a: np.ndarray, fill: float | str = np.nan) -> np.ndarray:
        return np.where(safe, a, fill)

    return {
        "compared": alive(count), "expected": alive(m), "lower": alive(lower),
        "upper": alive(upper), "p_high": np.where(tested, p_high, np.nan),
        "p_low": np.where(tested, p_low, np.nan), "unusual": alive(flag, ""),
        "model": alive(model, ""), "phi": np.where(panel_ok, phi, np.nan), "included": inc,
        "live": live, "tested": tested,
    }


def _level_fit(y: np.ndarray, w: np.ndarray) -> dict:
    """Poisson fit of a constant over the window (closed form)."""
    total, size = (y * w).sum(-1), w.sum(-1)
    mu = total / np.maximum(size, 1)
    fitted = np.broadcast_to(mu[..., None], y.shape)
    return {"mu0": mu, "var0": 1 / np.maximum(total, 1e-9), "fitted": fitted,
            **_fit_stats(y, w, fitted)}


def _season_fit(y: np.ndarray, w: np.ndarray, rel: np.ndarray) -> dict:
    """Poisson fit of a level per quarter of the year (closed form: the means per quarter)."""
    groups = (rel[..., None] == np.arange(4)).astype(float)  # (J, L, 4)
    totals = np.einsum("gjsl,jlq->gjsq", y * w, groups)
    sizes = np.einsum("gjsl,jlq->gjsq", w, groups)
    means = totals / np.maximum(sizes, 1)
    fitted = np.einsum("gjsq,jlq->gjsl", means, groups)
    return {"mu0": means[..., 0], "var0": 1 / np.maximum(totals[..., 0], 1e-9),
            "fitted": fitted, **_fit_stats(y, w, fitted)}


def _fit_stats(y: np.ndarray, w: np.ndarray, mu: np.ndarray) -> dict:
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / np.maximum(mu, 1e-300)), 0.0)
        pearson = np.where(mu > 0, (y - mu) ** 2 / mu, 0.0)
    return {"deviance": 2 * (w * (term - (y - mu))).sum(-1), "pearson": (w * pearson).sum(-1)}


def _scatter(fit: dict, gi: np.ndarray, ji: np.ndarray, shape: tuple) -> dict:
    out = {}
    for key, value in fit.items():
        full = np.full(shape, np.nan)
        full[gi, ji] = value
        out[key] = full
    return out


def _irls(y: np.ndarray, w: np.ndarray, x: np.ndarray, start: np.ndarray,
          iterations: int = 25) -> dict:
    """Poisson regression (log link) for K problems of S series sharing a design: y, w
    (K, S, L) with w = 0 outside the window, x (K, L, p) with the time in column 1; the tested
    quarter has x0 = (1, 0, ...). Returns mu0, var0 = Var(log mu0) / dispersion, beta_t,
    var_t, deviance and Pearson statistic per problem."""
    p = x.shape[-1]
    xx = (x[..., :, None] * x[..., None, :]).reshape(*x.shape[:2], p * p)  # (K, L, p*p)
    eta = np.log(np.maximum(start, 0.1))
    mu = np.exp(eta)
    ridge = 1e-9 * np.eye(p)
    for _ in range(iterations):
        weight = w * mu
        z = eta + (y - mu) / mu
        a = (weight @ xx).reshape(*y.shape[:2], p, p) + ridge
        beta = np.linalg.solve(a, ((weight * z) @ x)[..., None])[..., 0]
        new = np.clip(beta @ np.swapaxes(x, -1, -2), -9.0, 12.0)  # (K, S, L)
        delta = np.max(np.abs(new - eta) * (w > 0), initial=0.0)
        eta, mu = new, np.exp(new)
        if delta < 1e-8:
            break
    cov = np.linalg.inv((w * mu @ xx).reshape(*y.shape[:2], p, p) + ridge)
    return {"mu0": np.exp(np.clip(beta[..., 0], -9.0, 12.0)), "var0": cov[..., 0, 0],
            "beta_t": beta[..., 1], "var_t": cov[..., 1, 1], **_fit_stats(y, w, mu)}


def _pooled(pearson: np.ndarray, df: np.ndarray, used: np.ndarray,
            correct: bool = False) -> np.ndarray:
    """Pearson dispersion pooled over the series that have reports, at least 1. With
    `correct`, widened for being estimated from `df` degrees of freedom: times
    (t_df / z)^2 at the 0.995 quantile, as a t-test does instead of a z-test."""
    df = np.broadcast_to(df, pearson.shape)
    num = np.where(used, pearson, 0.0).sum(-1)
    den = np.where(used, df, 0).sum(-1)
    phi = np.divide(num, den, out=np.ones_like(num), where=den > 0)
    if correct:
        phi = phi * (special.stdtrit(np.maximum(den, 1), 1 - ALPHA_TAIL) / _Z_TAIL) ** 2
    return np.maximum(1.0, phi)


def _nb_quantile(r: np.ndarray, p: np.ndarray, alpha: float, upper: bool) -> np.ndarray:
    """upper: the smallest k with P(Y > k) <= alpha; else the smallest k with P(Y <= k) >=
    alpha, for Y negative binomial (r, p): a Cornish-Fisher start and a few exact steps (the
    slower scipy inverse for whatever is still off after them)."""
    q = 1 - alpha if upper else alpha
    mean = r * (1 - p) / p
    sd = np.sqrt(mean / p)
    skew = (2 - p) / np.sqrt(np.maximum(r * (1 - p), 1e-300))
    z = stats.norm.ppf(q)
    k = np.maximum(np.floor(mean + sd * (z + (z * z - 1) * np.minimum(skew, 10) / 6)), 0)

    def reached(k: np.ndarray) -> np.ndarray:
        return _reached_at(r, p, k, q)

    for _ in range(6):
        up, down = ~reached(k), reached(k - 1)
        if not (up.any() or down.any()):
            return k
        k = k + up - down
    off = ~reached(k) | reached(k - 1)
    exact = np.ceil(special.nbdtrik(q, r[off], p[off]))
    k[off] = np.where(_reached_at(r[off], p[off], exact - 1, q), exact - 1, exact)
    return k


def _reached_at(r: np.ndarray, p: np.ndarray, k: np.ndarray, q: float) -> np.ndarray:
    """P(Y <= k) >= q for Y negative binomial (r, p)."""
    return (k >= 0) & (special.betainc(r, np.maximum(k, 0) + 1, p) >= q)


def _sustained(y: np.ndarray, dl: np.ndarray, cols: np.ndarray, ok: np.ndarray,
               phi: np.ndarray, pid: np.ndarray) -> dict:
    """The last four quarters against the four before, for the columns `cols` (ok: G, J, S;
    phi: G, J)."""
    span = 2 * SUSTAINED_QUARTERS
    inc, win, now = _window_sums(y, dl, cols, np.full(ok.shape[:2], span - 1), span - 1)
    last = win[..., SUSTAINED_QUARTERS:].sum(-1) + now  # (G, J, S)
    prev = win[..., :SUSTAINED_QUARTERS].sum(-1)
    live = ok & inc.any(axis=-1, keepdims=True)
    tested = live & (last + prev >= SUSTAINED_MIN_TOTAL)
    p = np.where(tested, scaled_binomial_p(last, prev, np.nan_to_num(phi, nan=1.0)[..., None]),
                 np.nan)
    reject = _bh_by_panel(p, pid) & (p <= SUSTAINED_ALPHA)
    flag = np.where(reject, np.where(last > prev, UP, DOWN), "").astype(object)
    return {"last": np.where(live, last, np.nan), "prev": np.where(live, prev, np.nan),
            "p": p, "flag": np.where(live, flag, ""), "included": inc, "live": live,
            "tested": tested}


# -- statistics helpers -----------------------------------------------------------------------
def scaled_binomial_p(first: np.ndarray, second: np.ndarray, phi: np.ndarray | float = 1.0) \
        -> np.ndarray:
    """Two-sided p of two sums with equal expected values and dispersion phi: first/phi given
    (first+second)/phi is Binomial(n, 1/2), continuous in n (the regularised incomplete beta
    function); the exact conditional test when phi = 1."""
    a = np.asarray(first, float) / phi
    n = (np.asarray(first, float) + np.asarray(second, float)) / phi
    with np.errstate(invalid="ignore", divide="ignore"):
        upper = np.where(a > 0, special.betainc(np.maximum(a, 1e-12),
                                                np.maximum(n - a + 1, 1e-12), 0.5), 1.0)
        lower = np.where(a < n, 1 - special.betainc(a + 1, np.maximum(n - a, 1e-12), 0.5), 1.0)
    return np.minimum(1.0, 2 * np.minimum(upper, lower))


def _bh_by_panel(p: np.ndarray, pid: np.ndarray) -> np.ndarray:
    """BH along the last axis (series) separately within each panel."""
    out = np.zeros(p.shape, bool)
    for k in np.unique(pid):
        out |= bh_reject(np.where(pid == k, p, np.nan), FDR)
    return out


def bh_reject(p: np.ndarray, q: float = FDR) -> np.ndarray:
    """Benjamini-Hochberg along the last axis: True where rejected at level q; NaN = not
    tested (not counted among the hypotheses)."""
    p = np.asarray(p, float)
    filled = np.where(np.isnan(p), np.inf, p)
    ordered = np.sort(filled, axis=-1)
    m = np.isfinite(filled).sum(-1, keepdims=True)
    rank = np.arange(1, p.shape[-1] + 1)
    passed = ordered <= q * rank / np.maximum(m, 1)
    k = np.where(passed, rank, 0).max(-1, keepdims=True)
    cut = np.where(k > 0, np.take_along_axis(ordered, np.maximum(k - 1, 0), -1), -np.inf)
    return filled <= cut
