//! The vocabularies DCAT-AP.de uses, by namespace.

pub const DCAT: &str = "http://www.w3.org/ns/dcat#";
pub const DCT: &str = "http://purl.org/dc/terms/";
pub const DCATDE: &str = "http://dcat-ap.de/def/dcatde/";
pub const DCATAP: &str = "http://data.europa.eu/r5r/";
pub const FOAF: &str = "http://xmlns.com/foaf/0.1/";
pub const VCARD: &str = "http://www.w3.org/2006/vcard/ns#";
pub const ADMS: &str = "http://www.w3.org/ns/adms#";
pub const SPDX: &str = "http://spdx.org/rdf/terms#";
pub const HYDRA: &str = "http://www.w3.org/ns/hydra/core#";
pub const OWL: &str = "http://www.w3.org/2002/07/owl#";
pub(crate) const GSP: &str = "http://www.opengis.net/ont/geosparql#";
pub(crate) const EU: &str = "http://publications.europa.eu/resource/authority/";
pub(crate) const IANA: &str = "https://www.iana.org/assignments/media-types/";

pub const PREFIXES: &[(&str, &str)] = &[
    ("dcat", DCAT),
    ("dct", DCT),
    ("dcatde", DCATDE),
    ("dcatap", DCATAP),
    ("foaf", FOAF),
    ("vcard", VCARD),
    ("adms", ADMS),
    ("spdx", SPDX),
    ("hydra", HYDRA),
    ("owl", OWL),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
];
