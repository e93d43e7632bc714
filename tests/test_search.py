"""Territory search: normalisation, ranking, codes, suggestions for unknown codes; the search callback."""
from dashboard import search


def test_normalise_accents_case_abbreviations_separators():
    assert search.normalise("Saint-Étienne") == "saint etienne"
    assert search.normalise("st etienne") == "saint etienne"
    assert search.normalise("STE-FOY-LÈS-LYON") == "sainte foy les lyon"
    assert search.normalise("L'Isle-d’Abeau") == "l isle d abeau"
    assert search.normalise("Œuilly") == "oeuilly"
    assert search.normalise(None) == ""


def test_st_etienne_finds_saint_etienne_first(store_data):
    found = search.search(store_data, "st etienne")
    assert found[0]["code"] == "C42218" and found[0]["name"] == "Saint-Étienne"
    assert found[0]["level_label"] == "Commune" and found[0]["context"] == "Loire"


def test_insee_code_and_store_codes(store_data):
    assert search.search(store_data, "42218")[0]["code"] == "C42218"
    assert search.search(store_data, "D15")[0]["code"] == "D15"
    assert search.search(store_data, "c15014")[0]["code"] == "C15014"
    assert search.search(store_data, "84")[0]["code"] == "R84"


def test_word_inside_a_name(store_data):
    found = search.search(store_data, "Rouget")
    assert [r["name"] for r in found] == ["Le Rouget-Pers"]
    assert found[0]["href"] == "/territoire/C15268"


def test_bigger_levels_first_on_equal_match(store_data):
    found = search.search(store_data, "cantal")
    assert found[0]["code"] == "D15"
    levels = [r["level"] for r in found]
    assert levels.index("epci") < levels.index("commune")


def test_empty_odd_or_hostile_queries(store_data):
    assert search.search(store_data, "") == []
    assert search.search(store_data, None) == []
    assert search.search(store_data, "zzzzqqq") == []
    assert search.search(store_data, "<script>" * 50) == []
    assert len(search.search(store_data, "saint", limit=3)) == 3


def test_suggestions_for_unknown_codes(store_data):
    assert search.suggest_for_code(store_data, "d15")[0]["code"] == "D15"
    assert search.suggest_for_code(store_data, "15014")[0]["code"] == "C15014"
    fallback = [r["code"] for r in search.suggest_for_code(store_data, "XYZ")]
    assert fallback == ["R84", "FR"]


def test_search_callback_as_a_plain_function(app_settings):
    from callbacks.search import update

    value, items, status = update("rouget", "/", "search-input")
    assert "Le Rouget-Pers" in str(items) and status == "1 territoire trouvé."
    assert update("r", "/", "search-input")[1] == []
    assert update("zzzzqqq", "/", "search-input")[2] == "Aucun territoire trouvé."
    assert update("rouget", "/territoire/D15", "app-url") == ("", [], "")
