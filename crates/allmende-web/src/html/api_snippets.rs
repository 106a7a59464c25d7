//! The "API" panel of a table's resource page: copy-paste code for this table in curl, Python,
//! R and JavaScript — its records with the preview's filter and order, the CSV export, and SQL.
//! Every snippet uses only absolute, percent-encoded URLs, so no quoting rule of any of the
//! four languages can break them.

use minijinja::context;
use minijinja::value::Value;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// What a snippet needs to know about the table.
pub(super) struct Target<'a> {
    /// The portal's public address without a trailing slash.
    pub base: &'a str,
    pub resource_id: &'a str,
    /// The SQL name of the table.
    pub table_name: &'a str,
    /// `where=…&order_by=…` of the preview, or empty.
    pub carried: &'a str,
    /// The preview's condition in the records language, also valid SQL.
    pub condition: Option<&'a str>,
    pub order_by: Option<&'a str>,
}

/// `url` with `query` appended (`?` or `&`); unchanged for an empty query.
pub(super) fn join(url: String, query: &str) -> String {
    match (query.is_empty(), url.contains('?')) {
        (true, _) => url,
        (false, true) => format!("{url}&{query}"),
        (false, false) => format!("{url}?{query}"),
    }
}

pub(super) fn snippets(t: &Target) -> Value {
    let records = join(
        join(
            format!("{}/api/v1/resources/{}/records", t.base, t.resource_id),
            t.carried,
        ),
        "limit=100",
    );
    let csv = join(
        format!("{}/api/v1/resources/{}/export/csv", t.base, t.resource_id),
        t.carried,
    );
    let mut sql = format!("SELECT * FROM \"{}\"", t.table_name.replace('"', "\"\""));
    if let Some(c) = t.condition {
        sql.push_str(&format!(" WHERE {c}"));
    }
    if let Some(o) = t.order_by {
        sql.push_str(&format!(" ORDER BY {o}"));
    }
    sql.push_str(" LIMIT 100");
    let sql_url = format!(
        "{}/api/v1/sql?sql={}",
        t.base,
        utf8_percent_encode(&sql, NON_ALPHANUMERIC)
    );
    let curl = format!(
        "# records\ncurl \"{records}\"\n\n# CSV\ncurl -o daten.csv \"{csv}\"\n\n# SQL\ncurl \"{sql_url}\""
    );
    let python = format!(
        "import pandas as pd\nimport requests\n\n# CSV\ndf = pd.read_csv(\"{csv}\")\n\n# records\npage = requests.get(\"{records}\", timeout=60).json()\nrows = pd.DataFrame(page[\"records\"])\n\n# SQL\nresult = requests.get(\"{sql_url}\", timeout=60).json()\nprint(result[\"records\"][:5])"
    );
    let r = format!(
        "library(jsonlite)\n\n# CSV\ndf <- read.csv(\"{csv}\", encoding = \"UTF-8\", check.names = FALSE)\n\n# records\npage <- fromJSON(\"{records}\")\nhead(page$records)\n\n# SQL\nresult <- fromJSON(\"{sql_url}\")\nhead(result$records)"
    );
    let js = format!(
        "// records\nconst page = await (await fetch(\"{records}\")).json();\nconsole.table(page.records);\n\n// CSV\nconst csv = await (await fetch(\"{csv}\")).text();\n\n// SQL\nconst result = await (await fetch(\"{sql_url}\")).json();\nconsole.table(result.records);"
    );
    context! {
        sql,
        languages => vec![
            context! { id => "curl", label => "curl", code => curl },
            context! { id => "python", label => "Python (pandas, requests)", code => python },
            context! { id => "r", label => "R", code => r },
            context! { id => "js", label => "JavaScript (fetch)", code => js },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_carry_the_filter_and_quote_nothing_by_hand() {
        let v = snippets(&Target {
            base: "https://daten.example",
            resource_id: "r1",
            table_name: "bevoelkerung",
            carried: "where=%22Jahr%22%20%3E%202020",
            condition: Some("\"Jahr\" > 2020"),
            order_by: None,
        });
        let langs = v.get_attr("languages").unwrap();
        let curl = langs
            .get_item(&Value::from(0))
            .unwrap()
            .get_attr("code")
            .unwrap();
        let curl = curl.as_str().unwrap();
        assert!(curl.contains(
            "curl \"https://daten.example/api/v1/resources/r1/records?where=%22Jahr%22%20%3E%202020&limit=100\""
        ), "{curl}");
        assert!(
            curl.contains("/export/csv?where=%22Jahr%22%20%3E%202020\""),
            "{curl}"
        );
        assert!(curl.contains("sql=SELECT%20%2A%20FROM%20%22bevoelkerung%22%20WHERE%20%22Jahr%22%20%3E%202020%20LIMIT%20100"), "{curl}");
        // Inside the quoted strings only percent-encoded URLs: no quote, no backslash.
        for l in 0..4 {
            let code = langs
                .get_item(&Value::from(l))
                .unwrap()
                .get_attr("code")
                .unwrap();
            for url in code
                .as_str()
                .unwrap()
                .split('"')
                .filter(|s| s.starts_with("https://"))
            {
                assert!(!url.contains(['\'', '\\', ' ']), "{url}");
            }
        }
    }
}
