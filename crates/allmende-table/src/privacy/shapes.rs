//! What a column's name or a value's shape says beyond the identifiers themselves: coordinate
//! columns, and the mailboxes of offices (whose addresses are contacts of a desk, not of a
//! person).

use super::names;

pub(super) fn coordinate_header(h: &str) -> bool {
    matches!(
        names::normalise(h).as_str(),
        "lat"
            | "lon"
            | "lng"
            | "latitude"
            | "longitude"
            | "breite"
            | "laenge"
            | "breitengrad"
            | "laengengrad"
            | "geobreite"
            | "geolaenge"
    )
}

/// The local part of an office's mailbox: no given name in it, and a role or an office's word
/// ("poststelle", "standesamt", "amt-umwelt", "stadtkasse").
pub(super) fn role_mailbox(local: &str, lists: &names::Lists) -> bool {
    let local = local.to_lowercase();
    if local
        .split(['.', '-', '_', '+'])
        .any(|part| !part.is_empty() && lists.first_name(part))
    {
        return false;
    }
    ROLE_MAILBOXES.iter().any(|r| local.starts_with(r))
        || OFFICE_WORDS.iter().any(|w| local.contains(w))
}

/// Words in the mailboxes of offices and public institutions.
const OFFICE_WORDS: &[&str] = &[
    "amt",
    "buero",
    "büro",
    "stelle",
    "verwaltung",
    "kasse",
    "bibliothek",
    "museum",
    "schule",
    "rathaus",
    "referat",
    "fachbereich",
    "abteilung",
    "bauhof",
    "feuerwehr",
    "service",
    "zentrale",
    "sekretariat",
    "tourist",
    "presse",
    "kita",
    "stadtwerke",
    "betrieb",
    "archiv",
];

const ROLE_MAILBOXES: &[&str] = &[
    "info",
    "poststelle",
    "kontakt",
    "service",
    "buergerbuero",
    "bürgerbüro",
    "buergerservice",
    "rathaus",
    "presse",
    "stadtverwaltung",
    "verwaltung",
    "office",
    "post",
    "zentrale",
    "team",
    "support",
    "anfrage",
    "amt",
    "stadt",
    "gemeinde",
    "landratsamt",
    "mail",
    "hallo",
    "hello",
    "webmaster",
    "redaktion",
    "sekretariat",
    "bibliothek",
    "museum",
    "touristinfo",
    "tourismus",
];
