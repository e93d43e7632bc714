"""Every colour of the app, once: read by the Python that draws (plotly, the kiosk's SVG, the map's legend) and
handed to the JavaScript through the map's view (:data:`MAP`), so ``assets/carte.js`` holds no colour of its own.

DSFR blues and greys for the frame; colour-blind-safe ramps for data (ColorBrewer YlGnBu; viridis for context
indicators, which carry no "better/worse"); Okabe–Ito for the plan's series.
"""
from __future__ import annotations

BLEU_FRANCE = "#000091"
ORANGE = "#b34000"          # the target (blue/orange stays distinct for colour-blind readers)
GREEN = "#18753c"
RED = "#ce0500"
TEXT = "#161616"            # DSFR « texte par défaut »
WHITE = "#ffffff"
GRID, AXIS = "#dddddd", "#929292"
INK_DARK = "#1a1a1a"        # chart zero lines and marker outlines
HALO_DARK = "#08306b"       # the halo of white text on a dark fill (kiosk map)

YLGNBU = ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84")
VIRIDIS = ("#fde725", "#90d743", "#35b779", "#21918c", "#31688e", "#443983", "#440154")
OKABE_ITO = ("#0072B2", "#E69F00", "#56B4E9", "#009E73", "#D55E00", "#CC79A7", "#595959")

NO_DATA = "#e6e6e6"
NO_DATA_STROKE = "#8c8c8c"
OUTLINE = "#4d4d4d"
FALLBACK = "#999999"
DEMO_STRIPE = "#4a2a3b"
CONTEXT_STROKE, CONTEXT_FILL = "#9a9a9a", "#fbfbfb"
KIOSK_HATCH_FILL, KIOSK_HATCH_STROKE = "#f0f0f0", "#9a9a9a"

#: FINESS category → its points' colour on the map (MSP, centres de santé, CPTS)
STRUCTURES = {"603": BLEU_FRANCE, "124": ORANGE, "604": GREEN}
#: zoning: a sequential red ramp (the darker, the more fragile); « hors zone » is left unfilled
ZONES = {"ZIP": "#a50f15", "ZAC": "#ef6548", "ZV": "#fdd49e", "HZ": "transparent"}
UNCOVERED = RED             # communes covered by no CPTS
CPTS = TEXT                 # CPTS perimeters' outline
ZONE_STROKE = "#3a3a3a"

#: what ``assets/carte.js`` draws with (sent in the map's view and the layers' hideouts)
MAP = {"selected": BLEU_FRANCE, "outline": OUTLINE, "nodata": NO_DATA, "nodata_stroke": NO_DATA_STROKE,
       "fallback": FALLBACK, "demo_stripe": DEMO_STRIPE, "white": WHITE, "uncovered": UNCOVERED, "cpts": CPTS,
       "zone_stroke": ZONE_STROKE, "point_stroke": WHITE, "point_fallback": ZONE_STROKE}
