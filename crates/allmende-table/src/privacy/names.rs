//! Column headers that announce personal data, and person names among values: a first-name
//! list (the most frequent given names in Germany, plus common international ones) and a
//! capitalised surname beside it. Both lists can be extended by configuration.

use super::Rule;

/// Headers that name something, not necessarily someone ("Name" of a car park, "Adresse" of a
/// school): they count only when the values agree.
pub fn generic_header(header: &str) -> bool {
    matches!(
        normalise(header).as_str(),
        "name"
            | "namen"
            | "adresse"
            | "address"
            | "kontakt"
            | "contact"
            | "strasse"
            | "street"
            | "person"
            | "addr"
    )
}

/// The rule a header announces, if any: normalised (lower case, umlauts spelled out, no
/// separators) and compared word by word, so that "Geb.-Datum", "E-Mail-Adresse" and
/// "date_of_birth" are found alike.
pub fn header_rule(header: &str) -> Option<Rule> {
    let n = normalise(header);
    if n.is_empty() {
        return None;
    }
    let has = |words: &[&str]| words.iter().any(|w| n.contains(w));
    let is = |words: &[&str]| words.iter().any(|w| n == *w);
    // Most specific first: "E-Mail des Antragstellers" is an e-mail column.
    if has(&["email", "emailadresse", "mailadresse"]) || is(&["mail"]) {
        return Some(Rule::Email);
    }
    if has(&["iban", "kontonummer", "bankverbindung"]) {
        return Some(Rule::Iban);
    }
    if has(&[
        "steuerid",
        "steueridentifikationsnummer",
        "taxid",
        "steuernummer",
        "identifikationsnummer",
    ]) {
        return Some(Rule::TaxId);
    }
    if has(&[
        "sozialversicherungsnummer",
        "rentenversicherungsnummer",
        "versicherungsnummer",
        "svnummer",
    ]) || is(&["svnr", "rvnr", "vsnr"])
    {
        return Some(Rule::PensionNumber);
    }
    if has(&["krankenversichertennummer", "versichertennummer"]) || is(&["kvnr"]) {
        return Some(Rule::HealthInsuranceNumber);
    }
    if has(&[
        "personalausweis",
        "ausweisnummer",
        "reisepass",
        "passnummer",
        "passportnumber",
        "idcard",
    ]) {
        return Some(Rule::IdDocument);
    }
    if has(&[
        "kennzeichen",
        "licenseplate",
        "licenceplate",
        "numberplate",
        "kfzkennz",
    ]) && !has(&["gemeindekennz", "kennzeichnung", "ortskennz"])
    {
        return Some(Rule::LicencePlate);
    }
    if has(&[
        "ipadresse",
        "ipaddress",
        "remoteaddress",
        "remoteaddr",
        "clientip",
    ]) || is(&["ip"])
    {
        return Some(Rule::IpAddress);
    }
    if has(&[
        "geburtsdatum",
        "geburtstag",
        "geburtsjahr",
        "dateofbirth",
        "birthdate",
        "birthday",
        "gebdatum",
        "gebjahr",
        "geboren",
        "yearofbirth",
    ]) || is(&["dob", "gebdat", "geb", "gebj", "jahrgang"])
    {
        return Some(Rule::BirthDate);
    }
    if has(&[
        "telefon",
        "telephone",
        "phone",
        "handy",
        "mobilnummer",
        "mobilfunk",
        "rufnummer",
        "telnr",
        "faxnummer",
    ]) || is(&["tel", "mobil", "mobile", "fax", "telefax"])
    {
        return Some(Rule::Phone);
    }
    if has(&[
        "anschr",
        "wohnort",
        "wohnadresse",
        "wohnhaft",
        "hausnummer",
        "postanschrift",
        "homeaddress",
        "meldeadresse",
        "privatadresse",
    ]) || is(&[
        "adresse",
        "address",
        "strasse",
        "strasseundhausnummer",
        "street",
        "addr",
        "strnr",
    ]) {
        return Some(Rule::StreetAddress);
    }
    if has(&[
        "vorname",
        "nachname",
        "familienname",
        "geburtsname",
        "firstname",
        "lastname",
        "surname",
        "givenname",
        "fullname",
        "antragsteller",
        "ansprechpartner",
        "ansprechperson",
        "kontaktperson",
        "sachbearbeiter",
        "bewerber",
        "personenname",
        "eigentuemer",
        "halter",
        "patient",
        "schueler",
        "mitarbeiter",
        "vollername",
        "rufname",
        "zuname",
        "teilnehmer",
    ]) || is(&[
        "vn",
        "vorn",
        "nn",
        "nachn",
        "antragst",
        "name",
        "namen",
        "person",
        "inhaber",
        "kontakt",
        "contact",
        "vornamen",
        "kandidat",
        "kandidatin",
        "mieter",
        "kunde",
    ]) {
        return Some(Rule::PersonName);
    }
    None
}

/// A header as one word: the column's machine name (lower case, umlauts and ß spelled out)
/// without its separators.
pub fn normalise(s: &str) -> String {
    crate::column::machine_name(s).replace('_', "")
}

/// The name lists a scan looks values up in: the built-in ones and what the configuration adds.
#[derive(Debug)]
pub struct Lists {
    first_names: ahash::AHashSet<String>,
    surnames: ahash::AHashSet<String>,
    not_surnames: ahash::AHashSet<String>,
}

impl Lists {
    pub fn new(extra_first: &[String], extra_surnames: &[String]) -> Self {
        let with = |builtin: &str, extra: &[String]| {
            let mut words = builtin.to_string();
            for w in extra {
                words.push(' ');
                words.push_str(&w.to_lowercase());
            }
            word_set(&words)
        };
        Self {
            first_names: with(FIRST_NAMES, extra_first),
            surnames: with(SURNAMES, extra_surnames),
            not_surnames: word_set(&NOT_SURNAMES.join(" ")),
        }
    }

    /// "Max Mustermann", "Mustermann, Max", "Dr. Erika Musterfrau", "Anna-Lena Schmidt": a
    /// known first name and a capitalised word beside it, nothing that looks like a place or a
    /// thing.
    pub fn person_name(&self, v: &str) -> bool {
        if v.len() > 60 || v.bytes().any(|c| c.is_ascii_digit()) {
            return false;
        }
        let words: Vec<&str> = v
            .split([' ', ','])
            .map(|w| w.trim_matches('.'))
            .filter(|w| !w.is_empty() && !is_title(w))
            .collect();
        if !(2..=4).contains(&words.len()) || !words.iter().all(|w| capitalised(w)) {
            return false;
        }
        let comma = v.contains(',');
        let (given, family) = if comma {
            (words[1..].to_vec(), words[0])
        } else {
            (words[..words.len() - 1].to_vec(), words[words.len() - 1])
        };
        given.iter().any(|g| self.first_name(g)) && !self.first_name(family) && !self.thing(family)
            || (self.first_name(words[0]) && words.len() == 2 && !self.thing(words[1]))
    }

    /// A given name from the list (also the parts of "Anna-Lena").
    pub fn first_name(&self, w: &str) -> bool {
        let set = &self.first_names;
        in_list(set, w) || (w.contains('-') && w.split('-').all(|p| in_list(set, p)))
    }

    /// A given name or a frequent surname alone ("Vorname" and "Familienname" columns).
    pub fn name_part(&self, w: &str) -> bool {
        let w = w.trim();
        capitalised(w) && (self.first_name(w) || in_list(&self.surnames, w))
    }

    /// A word that makes a place or a thing of the name before it.
    fn thing(&self, w: &str) -> bool {
        in_list(&self.not_surnames, w)
    }
}

fn is_title(w: &str) -> bool {
    TITLES.iter().any(|t| t.eq_ignore_ascii_case(w))
}

/// Whether `w` is in a list of lower-case words, without allocating for the usual spellings
/// ("Max", "max"): the lists hold both; other spellings ("MAX") are lowered first.
fn in_list(set: &ahash::AHashSet<String>, w: &str) -> bool {
    set.contains(w)
        || (w.chars().skip(1).any(char::is_uppercase) && set.contains(&w.to_lowercase()))
}

/// A list of lower-case words with each also capitalised.
fn word_set(words: &str) -> ahash::AHashSet<String> {
    words
        .split_whitespace()
        .flat_map(|w| {
            let mut cs = w.chars();
            let capital: String = cs
                .next()
                .into_iter()
                .flat_map(char::to_uppercase)
                .chain(cs)
                .collect();
            [w.to_string(), capital]
        })
        .collect()
}

fn capitalised(w: &str) -> bool {
    let mut cs = w.chars();
    cs.next().is_some_and(char::is_uppercase)
        && cs.all(|c| c.is_alphabetic() || c == '-' || c == '\'')
}

const TITLES: &[&str] = &[
    "dr", "prof", "herr", "frau", "hr", "fr", "dipl", "ing", "mr", "mrs", "ms", "von", "van", "de",
    "zu",
];

/// Words after a first name that make a place or a thing of it ("Karl Marx"-style street
/// namesakes aside): "Sankt Martin Kirche" and "Maria Hilf" are not persons in a table.
const NOT_SURNAMES: &[&str] = &[
    "straße",
    "strasse",
    "weg",
    "platz",
    "kirche",
    "schule",
    "halle",
    "park",
    "brunnen",
    "haus",
    "hof",
    "tor",
    "gasse",
    "allee",
    "brücke",
    "garten",
    "hilf",
    "heim",
    "stift",
    "kapelle",
    "grundschule",
    "gymnasium",
    "kindergarten",
    "kita",
    "apotheke",
    "klinik",
    "center",
];

const FIRST_NAMES: &str = "
aaron adam adrian agnes alexander alexandra alfred ali alice alina alma amelie andrea andreas angela
angelika anja anke anna annalena anne annegret annette anni anton antonia arne arno arthur astrid
axel barbara bastian beate ben benedikt benjamin bernd bernhard bertram bettina bianca birgit björn
brigitte bruno carina carl carla carmen carolin caroline charlotte christa christel christian christiane
christina christine christoph christopher clara claudia clemens cornelia daniel daniela david denise
dennis dieter dietmar dietrich dirk dominik doris dorothea edith elena elias elisabeth elke ella
ellen emil emilia emily emma eric erich erik erika ernst erwin esther eva ewald fabian felix finn
florian frank franz franziska frederik frida frieda friedrich fritz gabriele georg gerd gerda gerhard
gertrud gisela gottfried gregor gudrun günter günther hanna hannah hannelore hans harald hartmut heike
heinrich heinz helena helene helga helmut henning henri henrik henry herbert hermann hildegard holger
horst hubert hugo ida ilse ines ingeborg ingo ingrid irene iris irmgard isabel isabella jakob jan
jana janina jannik jasmin jens jessica joachim johann johanna johannes jonas jonathan josef josefine
julia julian juliane julius jürgen jutta kai karin karl karla karsten katharina kathrin katja katrin
kerstin kevin kilian klaus konrad kristina kurt lara larissa lars laura lea lena leni leo leon leonard
leonie lina linda lisa lotta lothar louis luca lucas luis luisa luise lukas lutz maja maike malte
manfred manuel manuela marc marcel marco margarete margot maria marie marina mario marion marius mark
markus marlene marta martha martin martina mathias matteo matthias max maximilian melanie mia michael
michaela mila milan mirko monika moritz nadine natalie nicole niklas nico nils nina noah nora norbert
olaf ole olga oliver oskar otto patricia patrick paul paula peter petra philipp pia rainer ralf ralph
regina reinhard reinhold renate rene richard rita robert roland rolf rosemarie rudolf ruth sabine
sabrina sandra sara sarah sascha sebastian silke simon simone sofia sonja sophia sophie stefan
stefanie steffen stephan susanne svenja sven swen sylvia tanja thea theo theresa thomas thorsten
tilo till tim timo tina tobias tom torsten udo ulrich ulrike ursula ute uwe valentin vanessa vera
verena viktor viktoria volker walter waltraud werner wilhelm willi wolfgang yvonne zoe
mehmet mustafa ahmet ayse fatma emine hatice murat yusuf hasan huseyin ibrahim elif zeynep
john james robert mary patricia jennifer linda william richard joseph susan karen nancy
giuseppe giovanni francesco antonio marco anna maria luigi paolo stefano
piotr krzysztof tomasz agnieszka katarzyna małgorzata anastasia ivan dmitri sergei natalia olena
";

const SURNAMES: &str = "
müller schmidt schneider fischer weber meyer meier wagner becker schulz hoffmann schäfer koch bauer
richter klein wolf schröder neumann schwarz zimmermann braun krüger hofmann hartmann lange schmitt
werner schmitz krause maier meier lehmann schmid schulze maurer könig walter mayer huber kaiser
fuchs peters lang scholz möller weiß jung hahn schubert vogel friedrich keller günther frank berger
winkler roth beck lorenz baumann franke albrecht schuster simon ludwig böhm winter kraus martin
schumacher krämer vogt stein jäger otto sommer groß seidel heinrich brandt haas schreiber graf
schulte dietrich ziegler kuhn kühn pohl engel horn busch bergmann thomas voigt sauer arnold wolff
pfeiffer mustermann musterfrau yilmaz kaya demir şahin çelik öztürk
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        for (h, r) in [
            ("Name", Rule::PersonName),
            ("Vornamen", Rule::PersonName),
            ("Familienname", Rule::PersonName),
            ("E-Mail-Adresse", Rule::Email),
            ("Geb. Jahr", Rule::BirthDate),
            ("date_of_birth", Rule::BirthDate),
            ("Tel.", Rule::Phone),
            ("Straße und Hausnummer", Rule::StreetAddress),
            ("IBAN", Rule::Iban),
            ("Steuer-ID", Rule::TaxId),
            ("Kfz-Kennzeichen", Rule::LicencePlate),
            ("IP-Adresse", Rule::IpAddress),
        ] {
            assert_eq!(header_rule(h), Some(r), "{h}");
        }
        for h in [
            "Messstelle",
            "Stadtteil",
            "Gemeindekennziffer",
            "Betrag",
            "Straßenname",
            "Haltestellenname",
        ] {
            assert_eq!(header_rule(h), None, "{h}");
        }
    }

    #[test]
    fn names() {
        let lists = Lists::new(&[], &[]);
        for n in [
            "Max Mustermann",
            "Mustermann, Max",
            "Dr. Erika Musterfrau",
            "Anna-Lena Schmidt",
        ] {
            assert!(lists.person_name(n), "{n}");
        }
        for n in [
            "Parkhaus Stadtmitte",
            "Maria Hilf",
            "Martin Kirche",
            "Innenstadt",
            "Max",
            "Sankt Georg Schule",
        ] {
            assert!(!lists.person_name(n), "{n}");
        }
        assert!(lists.name_part("Dietmar"));
        assert!(lists.name_part("Müller"));
        assert!(!lists.name_part("Wasseralfingen"));
        // The configuration adds names; the built-in ones stay.
        let more = Lists::new(&["Wasseralfingen".into()], &["Kocherthal".into()]);
        assert!(more.name_part("Wasseralfingen") && more.name_part("Dietmar"));
        assert!(more.person_name("Wasseralfingen Kocherthal"));
        assert!(!lists.person_name("Wasseralfingen Kocherthal"));
    }
}
