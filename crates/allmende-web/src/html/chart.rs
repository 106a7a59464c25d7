//! The chart of a table's resource page: one aggregate grouped by a column, as bars, a line
//! (time series), stacked bars (split by a second column) or a pie, drawn as a self-contained
//! SVG on the server. Without a choice in the URL the chart starts from what fits the table:
//! a date or year column (else a text column with few values) on the x axis and the sum of
//! the first numeric measure.

use std::collections::HashMap;

use allmende_core::i18n::{Msg, t as tr};
use allmende_table::ColumnType;
use allmende_table::column::Column;
use allmende_table::query::{RecordsQuery, TableRef};
use minijinja::context;
use minijinja::value::Value;

use super::table_filter::quote_ident;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

const GROUPS: usize = 60;
/// A pie beyond this many slices is unreadable; bars are drawn instead.
const PIE_SLICES: usize = 8;
const SERIES: usize = 8;
/// Colour-blind-safe (Okabe–Ito), each ≥ 3:1 against white where text is not drawn on it.
const COLOURS: [&str; 8] = [
    "#0b5394", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#6a3d9a", "#8c6d1f",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Kind {
    Bar,
    Line,
    Stacked,
    Pie,
}

impl Kind {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "bar" => Self::Bar,
            "line" => Self::Line,
            "stacked" => Self::Stacked,
            "pie" => Self::Pie,
            _ => return None,
        })
    }
}

fn is_numeric(c: &Column) -> bool {
    matches!(c.kind, ColumnType::Integer | ColumnType::Decimal)
}

fn distinct(c: &Column) -> u64 {
    c.stats.as_ref().map_or(u64::MAX, |s| s.distinct)
}

/// A year column: whole numbers between 1800 and 2200 named like a year.
fn is_year(c: &Column) -> bool {
    let n = c.machine_name.as_str();
    c.kind == ColumnType::Integer
        && (n == "jahr" || n == "year" || n.ends_with("_jahr") || n.starts_with("jahr_"))
}

/// Numbering, codes and coordinates are numbers nobody sums.
fn is_measure(c: &Column) -> bool {
    let n = c.machine_name.as_str();
    is_numeric(c)
        && !is_year(c)
        && ![
            "id", "nr", "nummer", "code", "plz", "lat", "lon", "breite", "laenge", "x", "y",
        ]
        .iter()
        .any(|k| n == *k || n.ends_with(&format!("_{k}")) || n.starts_with(&format!("{k}_")))
        && !n.contains("breitengrad")
        && !n.contains("laengengrad")
}

/// The chart drawn when the URL names none: time on the x axis if there is any, else a
/// text column with few values; `None` when nothing fits (e.g. one text column of names).
fn default_x(t: &TableRef) -> Option<&Column> {
    t.columns
        .iter()
        .find(|c| matches!(c.kind, ColumnType::Date | ColumnType::Timestamp))
        .or_else(|| t.columns.iter().find(|c| is_year(c)))
        .or_else(|| {
            t.columns
                .iter()
                .filter(|c| c.kind == ColumnType::Text && (2..=30).contains(&distinct(c)))
                .min_by_key(|c| distinct(c))
        })
}

/// What to draw, from the URL or the defaults; also what the form preselects.
pub(super) struct Choice<'a> {
    pub x: &'a Column,
    pub y: Option<&'a Column>,
    pub agg: &'static str,
    pub kind: Kind,
    pub series: Option<&'a Column>,
}

pub(super) fn choice<'a>(t: &'a TableRef, params: &HashMap<String, String>) -> Option<Choice<'a>> {
    let find = |k: &str| {
        params
            .get(k)
            .and_then(|v| t.columns.iter().find(|c| &c.machine_name == v))
    };
    let asked = params.get("chart_x").is_some_and(|x| !x.is_empty());
    let x = if asked {
        find("chart_x")?
    } else {
        default_x(t)?
    };
    let y = if asked {
        find("chart_y").filter(|c| is_numeric(c))
    } else {
        t.columns
            .iter()
            .find(|c| is_measure(c) && c.machine_name != x.machine_name)
    };
    let agg = match (params.get("chart_agg").map(String::as_str), y) {
        (Some("sum"), Some(_)) => "sum",
        (Some("avg"), Some(_)) => "avg",
        (Some("min"), Some(_)) => "min",
        (Some("max"), Some(_)) => "max",
        (Some(_), _) | (None, None) => "count",
        (None, Some(_)) => "sum",
    };
    let over_time = matches!(x.kind, ColumnType::Date | ColumnType::Timestamp) || is_year(x);
    let kind = params
        .get("chart_type")
        .and_then(|k| Kind::parse(k))
        .unwrap_or(if over_time { Kind::Line } else { Kind::Bar });
    let series = (kind == Kind::Stacked)
        .then(|| {
            find("chart_series").or_else(|| {
                t.columns.iter().find(|c| {
                    c.kind == ColumnType::Text
                        && c.machine_name != x.machine_name
                        && (2..=SERIES as u64).contains(&distinct(c))
                })
            })
        })
        .flatten()
        .filter(|s| s.machine_name != x.machine_name);
    Some(Choice {
        x,
        y,
        agg,
        kind,
        series,
    })
}

/// "Summe von Einwohner gesamt nach Jahr".
fn title(c: &Choice, lang: &str) -> (String, String) {
    let measure = match c.y {
        Some(y) if c.agg != "count" => Msg::new(&format!("chart.measure.{}", c.agg))
            .arg("column", &y.name)
            .render(lang),
        _ => tr(lang, "chart.measure.count").to_string(),
    };
    let mut title = Msg::new("chart.title")
        .arg("measure", &measure)
        .arg("x", &c.x.name)
        .render(lang);
    if let Some(s) = c.series {
        title = Msg::new("chart.title_series")
            .arg("title", &title)
            .arg("series", &s.name)
            .render(lang);
    }
    (title, measure)
}

/// The chart of a table, or `None` when nothing fits or was asked for.
pub async fn chart(
    state: &AppState,
    client: &crate::heavy::Client,
    t: &TableRef,
    params: &HashMap<String, String>,
    filter: Option<String>,
    lang: &str,
) -> ApiResult<Option<Value>> {
    let Some(c) = choice(t, params) else {
        return Ok(None);
    };
    let measure = match (c.agg, c.y) {
        ("count", _) | (_, None) => "count(*)".to_string(),
        (agg, Some(y)) => format!("{agg}({})", quote_ident(&y.name)),
    };
    let x = quote_ident(&c.x.name);
    let (select, group_by) = match c.series {
        Some(s) => {
            let s = quote_ident(&s.name);
            (
                format!("{x} as x, {s} as s, {measure} as y"),
                format!("{x}, {s}"),
            )
        }
        None => (format!("{x} as x, {measure} as y"), x.clone()),
    };
    let by_value = matches!(c.x.kind, ColumnType::Text | ColumnType::Boolean) && !is_year(c.x);
    let q = RecordsQuery {
        select: Some(select),
        group_by: Some(group_by),
        filter,
        order_by: Some(if by_value {
            "y desc".into()
        } else {
            "x".into()
        }),
        limit: Some(GROUPS * if c.series.is_some() { SERIES } else { 1 }),
        ..Default::default()
    };
    let permit = crate::heavy::admit(state, allmende_work::Lane::Query, client).await?;
    let page = state
        .tables
        .records(permit, t, &q)
        .await
        .map_err(ApiError::from)?;
    let rows: Vec<Vec<serde_json::Value>> = super::cells::page_rows(&page)
        .into_iter()
        .filter_map(|r| r.as_array().cloned())
        .collect();
    let label = |v: &serde_json::Value, col: &Column| super::cells::cell_text(v, col.kind, lang);
    let data = match c.series {
        None => Data::single(
            rows.iter()
                .filter_map(|r| Some((label(r.first()?, c.x), r.get(1)?.as_f64()?)))
                .collect(),
        ),
        Some(s) => Data::stacked(
            rows.iter()
                .filter_map(|r| {
                    Some((
                        label(r.first()?, c.x),
                        label(r.get(1)?, s),
                        r.get(2)?.as_f64()?,
                    ))
                })
                .collect(),
        ),
    };
    let kind = match c.kind {
        Kind::Pie if data.categories.len() > PIE_SLICES => Kind::Bar,
        Kind::Stacked if c.series.is_none() => Kind::Bar,
        k => k,
    };
    let (title, measure) = title(&c, lang);
    let svg = svg(&data, kind, &title, &c.x.name, lang);
    Ok(Some(context! {
        svg, title, x => c.x.name, label => measure, kind,
        points => data.categories.len(),
        chosen => context! {
            x => c.x.machine_name, y => c.y.map(|y| y.machine_name.clone()),
            agg => c.agg, kind => c.kind, series => c.series.map(|s| s.machine_name.clone()),
        },
    }))
}

/// Categories on the x axis, and per series one value per category.
pub(super) struct Data {
    pub categories: Vec<String>,
    pub series: Vec<(String, Vec<f64>)>,
}

impl Data {
    pub(super) fn single(points: Vec<(String, f64)>) -> Self {
        let (categories, values) = points.into_iter().unzip();
        Self {
            categories,
            series: vec![(String::new(), values)],
        }
    }

    fn stacked(points: Vec<(String, String, f64)>) -> Self {
        let mut categories: Vec<String> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        for (x, s, _) in &points {
            if !categories.contains(x) && categories.len() < GROUPS {
                categories.push(x.clone());
            }
            if !names.contains(s) && names.len() < SERIES {
                names.push(s.clone());
            }
        }
        let mut series: Vec<(String, Vec<f64>)> = names
            .iter()
            .map(|n| (n.clone(), vec![0.0; categories.len()]))
            .collect();
        for (x, s, v) in points {
            if let (Some(i), Some(j)) = (
                categories.iter().position(|c| *c == x),
                names.iter().position(|n| *n == s),
            ) {
                series[j].1[i] += v;
            }
        }
        Self { categories, series }
    }

    fn totals(&self) -> Vec<f64> {
        (0..self.categories.len())
            .map(|i| self.series.iter().map(|s| s.1[i]).sum())
            .collect()
    }
}

/// Axis ticks at round steps (1, 2, 2.5 or 5 times a power of ten) covering `lo..hi`.
pub(super) fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (lo, hi) = if hi > lo { (lo, hi) } else { (lo, lo + 1.0) };
    let raw = (hi - lo) / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).floor() * step;
    let mut v = Vec::new();
    let mut k = 0.0;
    while first + k * step <= hi + step * 1e-9 || v.len() < 2 {
        v.push(first + k * step);
        k += 1.0;
        if v.len() > 12 {
            break;
        }
    }
    if v.last().is_some_and(|l| *l < hi) {
        v.push(first + k * step);
    }
    v
}

/// A number as readers of the page's language write it: `44.421,25` or `44,421.25`; whole
/// when it is whole, at most two decimals otherwise.
pub(super) fn number(v: f64, lang: &str) -> String {
    let (group, decimal) = if lang == "de" { ('.', ',') } else { (',', '.') };
    let rounded = (v * 100.0).round() / 100.0;
    let text = if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.2}").trim_end_matches('0').to_string()
    };
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut out = String::from(sign);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(ch);
    }
    if !frac.is_empty() {
        out.push(decimal);
        out.push_str(frac);
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A self-contained SVG (no scripts, no external references) with a title and description for
/// screen readers, axes with round ticks and a legend for several series.
pub(super) fn svg(data: &Data, kind: Kind, title: &str, x_label: &str, lang: &str) -> String {
    let (w, h) = (720.0_f64, 380.0_f64);
    let legend = data.series.len() > 1 || kind == Kind::Pie;
    let (left, right, top, bottom) = (80.0, if legend { 170.0 } else { 20.0 }, 40.0, 90.0);
    let totals = data.totals();
    let max_total = totals.iter().copied().fold(f64::MIN, f64::max);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-labelledby=\"chart-title chart-desc\" font-family=\"sans-serif\" font-size=\"12\">\
         <title id=\"chart-title\">{}</title><desc id=\"chart-desc\">{}</desc>\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\
         <text x=\"10\" y=\"22\" fill=\"#222\" font-weight=\"bold\" font-size=\"14\">{}</text>",
        esc(title),
        esc(&Msg::new("chart.desc")
            .arg("n", data.categories.len())
            .arg("max", number(max_total.max(0.0), lang))
            .render(lang)),
        esc(title),
    );
    if kind == Kind::Pie {
        pie(&mut s, data, &totals, lang);
    } else {
        axes(
            &mut s,
            data,
            kind,
            &totals,
            (w, h, left, right, top, bottom),
            x_label,
            lang,
        );
    }
    if legend {
        let names: Vec<&str> = if kind == Kind::Pie {
            data.categories.iter().map(String::as_str).collect()
        } else {
            data.series.iter().map(|s| s.0.as_str()).collect()
        };
        for (i, name) in names.iter().enumerate() {
            let y = top + 18.0 * i as f64;
            let short: String = name.chars().take(22).collect();
            s.push_str(&format!(
                "<rect x=\"{}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"{:.1}\" fill=\"#222\">{}</text>",
                w - right + 12.0,
                y,
                COLOURS[i % COLOURS.len()],
                w - right + 30.0,
                y + 10.0,
                esc(&short)
            ));
        }
    }
    s.push_str("</svg>");
    s
}

type Frame = (f64, f64, f64, f64, f64, f64);

fn axes(
    s: &mut String,
    data: &Data,
    kind: Kind,
    totals: &[f64],
    (w, h, left, right, top, bottom): Frame,
    x_label: &str,
    lang: &str,
) {
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let values: Vec<f64> = if kind == Kind::Stacked {
        totals.to_vec()
    } else {
        data.series
            .iter()
            .flat_map(|s| s.1.iter().copied())
            .collect()
    };
    let hi = values.iter().copied().fold(0.0_f64, f64::max);
    let lo = values.iter().copied().fold(0.0_f64, f64::min);
    // Lines over time need not start at zero (a population of 12,000 moving by 100).
    let lo = if kind == Kind::Line && lo >= 0.0 {
        let min = values.iter().copied().fold(f64::MAX, f64::min);
        if min > hi * 0.5 { min } else { 0.0 }
    } else {
        lo
    };
    let ticks = ticks(lo, hi);
    let (t0, t1) = (ticks[0], ticks[ticks.len() - 1]);
    let span = (t1 - t0).max(f64::EPSILON);
    let y_of = |v: f64| top + plot_h - (v - t0) / span * plot_h;
    for v in &ticks {
        let y = y_of(*v);
        s.push_str(&format!(
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#d0d5dd\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#333\">{}</text>",
            w - right,
            left - 6.0,
            y + 4.0,
            number(*v, lang)
        ));
    }
    let n = data.categories.len().max(1) as f64;
    let step = plot_w / n;
    let cx = |i: usize| left + step * (i as f64 + 0.5);
    match kind {
        Kind::Line => {
            for (j, (name, vals)) in data.series.iter().enumerate() {
                let colour = COLOURS[j % COLOURS.len()];
                let path: Vec<String> = vals
                    .iter()
                    .enumerate()
                    .map(|(i, v)| format!("{:.1},{:.1}", cx(i), y_of(*v)))
                    .collect();
                s.push_str(&format!(
                    "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>",
                    path.join(" ")
                ));
                for (i, v) in vals.iter().enumerate() {
                    s.push_str(&format!(
                        "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{colour}\"><title>{}{}: {}</title></circle>",
                        cx(i),
                        y_of(*v),
                        if name.is_empty() { String::new() } else { format!("{} – ", esc(name)) },
                        esc(&data.categories[i]),
                        number(*v, lang)
                    ));
                }
            }
        }
        _ => {
            let stacked = kind == Kind::Stacked;
            let groups = if stacked { 1 } else { data.series.len().max(1) };
            let bar_w = step * 0.8 / groups as f64;
            let mut base = vec![0.0_f64; data.categories.len()];
            for (j, (name, vals)) in data.series.iter().enumerate() {
                let colour = COLOURS[j % COLOURS.len()];
                for (i, v) in vals.iter().enumerate() {
                    let (from, to) = if stacked {
                        (base[i], base[i] + v)
                    } else {
                        (0.0_f64.max(t0), *v)
                    };
                    base[i] += v;
                    let (ya, yb) = (y_of(from), y_of(to));
                    let x0 = cx(i) - step * 0.4 + if stacked { 0.0 } else { bar_w * j as f64 };
                    s.push_str(&format!(
                        "<rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{bar_w:.1}\" height=\"{:.1}\" fill=\"{colour}\"><title>{}{}: {}</title></rect>",
                        ya.min(yb),
                        (ya - yb).abs(),
                        if name.is_empty() { String::new() } else { format!("{} – ", esc(name)) },
                        esc(&data.categories[i]),
                        number(*v, lang)
                    ));
                }
            }
        }
    }
    let label_every = (data.categories.len() / 20).max(1);
    for (i, label) in data.categories.iter().enumerate() {
        if i % label_every == 0 {
            let short: String = label.chars().take(16).collect();
            s.push_str(&format!(
                "<text transform=\"translate({:.1},{}) rotate(-45)\" text-anchor=\"end\" fill=\"#333\">{}</text>",
                cx(i),
                top + plot_h + 14.0,
                esc(&short)
            ));
        }
    }
    s.push_str(&format!(
        "<line x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#333\"/><text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"#333\">{}</text>",
        w - right,
        top + plot_h,
        top + plot_h,
        left + plot_w / 2.0,
        h - 6.0,
        esc(x_label)
    ));
}

fn pie(s: &mut String, data: &Data, totals: &[f64], lang: &str) {
    let (cx, cy, r) = (260.0_f64, 210.0_f64, 150.0_f64);
    let sum: f64 = totals.iter().filter(|v| **v > 0.0).sum();
    if sum <= 0.0 {
        return;
    }
    let mut angle = -std::f64::consts::FRAC_PI_2;
    for (i, v) in totals.iter().enumerate() {
        if *v <= 0.0 {
            continue;
        }
        let sweep = v / sum * std::f64::consts::TAU;
        let (x0, y0) = (cx + r * angle.cos(), cy + r * angle.sin());
        let end = angle + sweep;
        let (x1, y1) = (cx + r * end.cos(), cy + r * end.sin());
        let large = i32::from(sweep > std::f64::consts::PI);
        let share = number(v / sum * 100.0, lang);
        let (shape, tag) = if sweep >= std::f64::consts::TAU - 1e-9 {
            (
                format!("<circle cx=\"{cx}\" cy=\"{cy}\" r=\"{r}\""),
                "circle",
            )
        } else {
            (
                format!(
                    "<path d=\"M{cx},{cy} L{x0:.2},{y0:.2} A{r},{r} 0 {large} 1 {x1:.2},{y1:.2} Z\""
                ),
                "path",
            )
        };
        s.push_str(&format!(
            "{shape} fill=\"{}\" stroke=\"#fff\"><title>{}: {} ({share} %)</title></{tag}>",
            COLOURS[i % COLOURS.len()],
            esc(&data.categories[i]),
            number(*v, lang)
        ));
        angle = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(
            ticks(0.0, 44_421.25),
            [0.0, 10_000.0, 20_000.0, 30_000.0, 40_000.0, 50_000.0]
        );
        assert_eq!(ticks(0.0, 7.0), [0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(
            ticks(12_100.0, 12_900.0),
            [12_000.0, 12_200.0, 12_400.0, 12_600.0, 12_800.0, 13_000.0]
        );
        assert_eq!(ticks(-5.0, 5.0), [-6.0, -4.0, -2.0, 0.0, 2.0, 4.0, 6.0]);
        let flat = ticks(3.0, 3.0);
        assert!(
            flat.len() >= 2 && flat[0] <= 3.0 && *flat.last().unwrap() >= 4.0 - 1e-9,
            "{flat:?}"
        );
    }

    #[test]
    fn numbers_follow_the_language() {
        assert_eq!(number(44_421.25, "de"), "44.421,25");
        assert_eq!(number(44_421.25, "en"), "44,421.25");
        assert_eq!(number(-1_234_567.0, "de"), "-1.234.567");
        assert_eq!(number(0.5, "de"), "0,5");
        assert_eq!(number(2.0, "en"), "2");
    }
}
