//! Where a table's header is and what its columns are called. Title and "Stand:" rows above
//! the header are skipped; stacked header rows, as statistics offices export them (category,
//! sub-category, "Insgesamt", with a spanning label written once or repeated over its
//! columns), are merged into one name per column: "Bodenfläche insgesamt – Insgesamt".

/// Header rows that may stack above or below the row that looks most like a header.
const MAX_HEADER_ROWS: usize = 4;
/// Rows below the header searched for a number, the sign of a statistics table.
const LOOKAHEAD: usize = 50;
/// Joins the levels of a stacked name (an en dash, as the offices write it).
pub const LEVEL_SEPARATOR: &str = " – ";

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HeaderBlock {
    /// Index of the first header row among the records.
    pub first: usize,
    /// Header rows (1 for an ordinary table).
    pub rows: usize,
    /// One name per column (empty where the file gives none).
    pub names: Vec<String>,
}

/// The header is the first row that fills at least half of the widest row; title and
/// "Stand:" rows above it fill only one or two cells.
pub(crate) fn find_header_row(records: &[Vec<String>]) -> usize {
    let filled: Vec<usize> = records.iter().map(|r| filled(r)).collect();
    let widest = filled.iter().copied().max().unwrap_or(0);
    if widest < 2 {
        return filled.iter().position(|&n| n > 0).unwrap_or(0);
    }
    let need = widest.div_ceil(2).max(2);
    filled.iter().position(|&n| n >= need).unwrap_or(0)
}

/// The header rows among the first records of a file. `forced`: the publisher's header row
/// (rows above it are then never taken into the header; rows below still stack).
pub(crate) fn header_block(records: &[Vec<String>], forced: Option<usize>) -> HeaderBlock {
    let header = forced.unwrap_or_else(|| find_header_row(records));
    let Some(row) = records.get(header) else {
        return HeaderBlock {
            first: header,
            rows: 1,
            names: Vec::new(),
        };
    };
    if !row.iter().any(|c| textual(c)) {
        return HeaderBlock {
            first: header,
            rows: 1,
            names: row.clone(),
        };
    }
    let mut first = header;
    if forced.is_none() {
        while first > 0 && header + 1 - first < MAX_HEADER_ROWS && category_row(&records[first - 1])
        {
            first -= 1;
        }
    }
    let mut last = header;
    while last + 1 - first < MAX_HEADER_ROWS && continues(records, first, last) {
        last += 1;
    }
    let block = &records[first..=last];
    HeaderBlock {
        first,
        rows: block.len(),
        names: if block.len() == 1 {
            block[0].clone()
        } else {
            merge(block)
        },
    }
}

fn filled(row: &[String]) -> usize {
    row.iter().filter(|c| !c.trim().is_empty()).count()
}

/// A label: text that is neither a number nor a date.
fn textual(cell: &str) -> bool {
    let t = cell.trim();
    !t.is_empty() && !numeric(t) && crate::values::parse_date(t).is_none()
}

fn numeric(cell: &str) -> bool {
    let t = cell.trim();
    let shape = crate::values::number_shape(t);
    !t.is_empty() && (shape.de || shape.en)
}

/// Only labels, in every non-empty cell.
fn labels_only(row: &[String]) -> bool {
    row.iter().any(|c| textual(c)) && row.iter().all(|c| c.trim().is_empty() || textual(c))
}

/// A row of spanning category labels above the header: no row label (first cell empty), labels
/// further right. A title row is the opposite: its text sits in the first cell.
fn category_row(row: &[String]) -> bool {
    row.first().is_none_or(|c| c.trim().is_empty())
        && row.iter().skip(1).any(|c| textual(c))
        && labels_only(row)
}

/// Whether the row below `last` continues the header: labels only, in a table whose data has
/// numbers, and either without a row label of its own (its first cell empty, as no data row
/// of a table is) or giving the row label the rows above left out.
fn continues(records: &[Vec<String>], first: usize, last: usize) -> bool {
    let Some(next) = records.get(last + 1) else {
        return false;
    };
    if !labels_only(next) {
        return false;
    }
    let blank_first = |r: &Vec<String>| r.first().is_none_or(|c| c.trim().is_empty());
    let label_position = blank_first(next) || records[first..=last].iter().all(blank_first);
    let numbers_below = records
        .iter()
        .skip(last + 2)
        .take(LOOKAHEAD)
        .any(|r| r.iter().skip(1).any(|c| numeric(c)));
    label_position && numbers_below
}

/// One name per column from stacked rows. A spanning label written once (merged cells) counts
/// for the empty cells to its right, up to where the level above changes; the first column's
/// label never spans (it names the row labels). Repeated levels are named once.
fn merge(block: &[Vec<String>]) -> Vec<String> {
    let width = block.iter().map(Vec::len).max().unwrap_or(0);
    let mut filled: Vec<Vec<String>> = Vec::with_capacity(block.len());
    for (level, row) in block.iter().enumerate() {
        let is_last = level + 1 == block.len();
        let mut out: Vec<String> = Vec::with_capacity(width);
        for i in 0..width {
            let own = row.get(i).map(|c| c.trim()).unwrap_or("");
            if !own.is_empty() || is_last || i <= 1 {
                out.push(own.to_string());
                continue;
            }
            // Same group as the column to the left on every level above?
            let same_parent = filled.iter().all(|above| above[i] == above[i - 1]);
            let spanning = same_parent && !out[i - 1].is_empty();
            out.push(if spanning {
                out[i - 1].clone()
            } else {
                String::new()
            });
        }
        filled.push(out);
    }
    (0..width)
        .map(|i| {
            let mut parts: Vec<&str> = Vec::new();
            for level in &filled {
                let p = level[i].as_str();
                if !p.is_empty() && parts.last() != Some(&p) {
                    parts.push(p);
                }
            }
            parts.join(LEVEL_SEPARATOR)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(lines: &[&str]) -> Vec<Vec<String>> {
        lines
            .iter()
            .map(|l| l.split(';').map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn header_below_title_rows() {
        let r = rows(&[
            "Bevölkerung Aalen;;",
            "Stand: 31.12.2024;;",
            ";;",
            "Stadtteil;Einwohner;Fläche",
            "Mitte;1.234;3,5",
        ]);
        assert_eq!(find_header_row(&r), 3);
        let b = header_block(&r, None);
        assert_eq!((b.first, b.rows), (3, 1));
        assert_eq!(b.names, ["Stadtteil", "Einwohner", "Fläche"]);
    }

    #[test]
    fn stacked_rows_with_labels_written_once() {
        let r = rows(&[
            "Flächenerhebung 2024;;;;;",
            ";;;;;",
            "Gemeinde;Bodenfläche insgesamt;;;Siedlung und Verkehr;",
            ";Insgesamt;davon;;Insgesamt;davon Wohnbau",
            ";;Landwirtschaft;Wald;;",
            "Aalen;14.663;6.012;5.130;2.345;1.100",
            "Heidenheim an der Brenz;10.710;3.500;4.900;1.800;900",
        ]);
        let b = header_block(&r, None);
        assert_eq!((b.first, b.rows), (2, 3));
        assert_eq!(
            b.names,
            [
                "Gemeinde",
                "Bodenfläche insgesamt – Insgesamt",
                "Bodenfläche insgesamt – davon – Landwirtschaft",
                "Bodenfläche insgesamt – davon – Wald",
                "Siedlung und Verkehr – Insgesamt",
                "Siedlung und Verkehr – davon Wohnbau",
            ]
        );
    }

    #[test]
    fn stacked_rows_with_repeated_labels_and_category_row_above() {
        let r = rows(&[
            "Tabelle 3: Bevölkerung nach Geschlecht;;;;",
            ";Bevölkerung;Bevölkerung;Ausländer;Ausländer",
            "Stadtteil;männlich;weiblich;männlich;weiblich",
            ";Anzahl;Anzahl;Anzahl;Anzahl",
            "Innenstadt;4.012;4.230;612;580",
        ]);
        let b = header_block(&r, None);
        assert_eq!((b.first, b.rows), (1, 3), "{b:?}");
        assert_eq!(
            b.names,
            [
                "Stadtteil",
                "Bevölkerung – männlich – Anzahl",
                "Bevölkerung – weiblich – Anzahl",
                "Ausländer – männlich – Anzahl",
                "Ausländer – weiblich – Anzahl",
            ]
        );
    }

    #[test]
    fn ordinary_tables_keep_one_header_row() {
        // Text data below a complete header is data, not more header.
        let r = rows(&[
            "Straße;Ort;Art",
            "Bahnhofstraße;Aalen;Linde",
            "Marktplatz;Aalen;Eiche",
        ]);
        assert_eq!(header_block(&r, None).rows, 1);
        // A text row whose first cell is filled is a data row, even above numbers.
        let r = rows(&[
            "Name;Art;Höhe",
            "Linde am Markt;Tilia;",
            "Eiche;Quercus;12,5",
        ]);
        assert_eq!(header_block(&r, None).rows, 1);
        // No numbers below: labels are data.
        let r = rows(&[
            "Gemeinde;Bodenfläche;",
            ";Insgesamt;davon",
            "Aalen;viel;wenig",
        ]);
        assert_eq!(header_block(&r, None).rows, 1);
        // Without a header (numbers in the first row) nothing stacks.
        let r = rows(&["1;2;3", ";a;b", "4;5;6"]);
        assert_eq!(header_block(&r, None).rows, 1);
    }

    #[test]
    fn forced_header_row_still_stacks_below() {
        let r = rows(&[
            ";Bodenfläche;",
            "Gemeinde;Insgesamt;Wald",
            "Aalen;14.663;5.130",
        ]);
        let b = header_block(&r, Some(1));
        assert_eq!((b.first, b.rows), (1, 1));
        let b = header_block(&r, None);
        assert_eq!((b.first, b.rows), (0, 2));
        assert_eq!(
            b.names,
            ["Gemeinde", "Bodenfläche – Insgesamt", "Bodenfläche – Wald"]
        );
    }
}
