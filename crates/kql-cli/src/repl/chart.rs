//! Terminal charts for `render`: line charts over time (and x-y charts) as
//! a grid of markers, bar, column and pie charts as horizontal bars.

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Float64Type, Int32Type, Int64Type};
use kql_common::KqlType;
use kql_eval::Table;
use kql_parser::ast::{ExprKind, OperatorKind, StatementKind};
use std::fmt::Write as _;

/// The chart a query asks for with a final `| render KIND`, if any.
pub fn requested_chart(query: &str) -> Option<String> {
    let ast = kql_parser::parse(query).ok()?;
    let last = ast.statements.last()?;
    let StatementKind::Query(e) = &last.kind else {
        return None;
    };
    match &e.kind {
        ExprKind::Pipe { op, .. } => match &op.kind {
            OperatorKind::Render { chart, .. } => Some(chart.name.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// One column's values as numbers (`None` for nulls and non-numbers);
/// datetimes and timespans as ticks.
fn numbers(t: &Table, col: usize) -> Vec<Option<f64>> {
    let ty = KqlType::of_field(t.schema.field(col)).unwrap_or(KqlType::String);
    let mut out = Vec::with_capacity(t.num_rows());
    for b in &t.batches {
        let a = b.column(col);
        for i in 0..a.len() {
            let v = if a.is_null(i) {
                None
            } else {
                match ty {
                    KqlType::Int => Some(f64::from(a.as_primitive::<Int32Type>().value(i))),
                    KqlType::Long | KqlType::DateTime | KqlType::TimeSpan => {
                        Some(a.as_primitive::<Int64Type>().value(i) as f64)
                    }
                    KqlType::Real | KqlType::Decimal => {
                        Some(a.as_primitive::<Float64Type>().value(i)).filter(|x| x.is_finite())
                    }
                    _ => None,
                }
            };
            out.push(v);
        }
    }
    out
}

fn texts(t: &Table, col: usize) -> Vec<String> {
    let ty = KqlType::of_field(t.schema.field(col)).unwrap_or(KqlType::String);
    let mut out = Vec::with_capacity(t.num_rows());
    for b in &t.batches {
        let a = b.column(col);
        for i in 0..a.len() {
            out.push(kql_io::format_value(a.as_ref(), ty, i).unwrap_or_default());
        }
    }
    out
}

fn kinds(t: &Table) -> Vec<KqlType> {
    t.schema
        .fields()
        .iter()
        .map(|f| KqlType::of_field(f).unwrap_or(KqlType::String))
        .collect()
}

/// Draws `t` as the chart `kind` in `width` columns; `None` when the chart
/// kind is not drawn in the terminal or the table has nothing to draw.
pub fn draw(kind: &str, t: &Table, width: usize) -> Option<String> {
    let width = width.clamp(40, 200);
    match kind {
        "timechart" | "linechart" | "areachart" | "scatterchart" | "stackedareachart" => {
            lines(t, width)
        }
        "barchart" | "columnchart" | "piechart" => bars(kind, t, width),
        _ => None,
    }
}

const MARKERS: [char; 6] = ['●', '■', '▲', '◆', '✚', '✖'];

/// x from the first datetime/number column; one series per other numeric
/// column, or per value of a string column when there is one numeric column.
fn lines(t: &Table, width: usize) -> Option<String> {
    let kinds = kinds(t);
    let x_col = kinds
        .iter()
        .position(|k| *k == KqlType::DateTime)
        .or_else(|| {
            kinds
                .iter()
                .position(|k| k.is_numeric() || *k == KqlType::TimeSpan)
        })?;
    let ys: Vec<usize> = (0..kinds.len())
        .filter(|&i| i != x_col && (kinds[i].is_numeric() || kinds[i] == KqlType::TimeSpan))
        .collect();
    if ys.is_empty() {
        return None;
    }
    let xs = numbers(t, x_col);
    let label_col = (0..kinds.len()).find(|&i| kinds[i] == KqlType::String);
    let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    match (label_col, ys.as_slice()) {
        (Some(lc), [y]) => {
            let labels = texts(t, lc);
            let vals = numbers(t, *y);
            for ((x, v), l) in xs.iter().zip(&vals).zip(&labels) {
                if let (Some(x), Some(v)) = (x, v) {
                    match series.iter_mut().find(|(n, _)| n == l) {
                        Some((_, pts)) => pts.push((*x, *v)),
                        None => series.push((l.clone(), vec![(*x, *v)])),
                    }
                }
            }
        }
        _ => {
            for &y in &ys {
                let vals = numbers(t, y);
                let pts = xs
                    .iter()
                    .zip(&vals)
                    .filter_map(|(x, v)| Some(((*x)?, (*v)?)))
                    .collect();
                series.push((t.schema.field(y).name().clone(), pts));
            }
        }
    }
    series.truncate(MARKERS.len());
    let all: Vec<(f64, f64)> = series.iter().flat_map(|(_, p)| p.iter().copied()).collect();
    if all.is_empty() {
        return None;
    }
    let (xmin, xmax) = bounds(all.iter().map(|p| p.0));
    let (ymin, ymax) = bounds(all.iter().map(|p| p.1));
    let ymin = ymin.min(0.0);
    let ylab = |v: f64| short_number(v);
    let axis = ylab(ymax).len().max(ylab(ymin).len());
    let plot_w = width.saturating_sub(axis + 3).max(10);
    let plot_h = 12usize;
    let mut grid = vec![vec![' '; plot_w]; plot_h];
    for (si, (_, pts)) in series.iter().enumerate() {
        for &(x, y) in pts {
            let cx = scale(x, xmin, xmax, plot_w);
            let cy = plot_h - 1 - scale(y, ymin, ymax, plot_h);
            grid[cy][cx] = MARKERS[si];
        }
    }
    let mut out = String::new();
    for (r, row) in grid.iter().enumerate() {
        let label = if r == 0 {
            ylab(ymax)
        } else if r == plot_h - 1 {
            ylab(ymin)
        } else {
            String::new()
        };
        let _ = writeln!(out, "{label:>axis$} ┤{}", row.iter().collect::<String>());
    }
    let _ = writeln!(out, "{:>axis$} └{}", "", "─".repeat(plot_w));
    let x_ty = kinds[x_col];
    let xl = |v: f64| match x_ty {
        KqlType::DateTime => kql_common::time::format_datetime(v as i64)
            .get(..16)
            .unwrap_or_default()
            .replace('T', " "),
        _ => short_number(v),
    };
    let (left, right) = (xl(xmin), xl(xmax));
    let gap = plot_w.saturating_sub(left.len() + right.len());
    let _ = writeln!(out, "{:>axis$}  {left}{}{right}", "", " ".repeat(gap));
    let legend: Vec<String> = series
        .iter()
        .enumerate()
        .map(|(i, (n, _))| format!("{} {n}", MARKERS[i]))
        .collect();
    let _ = writeln!(out, "{:>axis$}  {}", "", legend.join("   "));
    Some(out)
}

/// Labels from the first string-like column, values from the first numeric.
fn bars(kind: &str, t: &Table, width: usize) -> Option<String> {
    let kinds = kinds(t);
    let v_col = kinds.iter().position(|k| k.is_numeric())?;
    let l_col = kinds.iter().position(|k| !k.is_numeric()).unwrap_or(v_col);
    let labels = texts(t, l_col);
    let values = numbers(t, v_col);
    let rows: Vec<(String, f64)> = labels
        .into_iter()
        .zip(values)
        .filter_map(|(l, v)| Some((l, v?)))
        .take(40)
        .collect();
    if rows.is_empty() {
        return None;
    }
    let total: f64 = rows.iter().map(|r| r.1.max(0.0)).sum();
    let max = rows.iter().map(|r| r.1).fold(0.0_f64, f64::max);
    let label_w = rows
        .iter()
        .map(|r| r.0.chars().count())
        .max()
        .unwrap_or(0)
        .min(30);
    let bar_w = width.saturating_sub(label_w + 16).max(10);
    let mut out = String::new();
    for (l, v) in &rows {
        let frac = if kind == "piechart" {
            if total > 0.0 {
                v.max(0.0) / total
            } else {
                0.0
            }
        } else if max > 0.0 {
            v.max(0.0) / max
        } else {
            0.0
        };
        let cells = frac * bar_w as f64;
        let full = cells.floor() as usize;
        let part = ((cells - full as f64) * 8.0).round() as usize;
        let mut bar = "█".repeat(full);
        if part > 0 && full < bar_w {
            bar.push(['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'][part.min(8) - 1]);
        }
        let label: String = l.chars().take(label_w).collect();
        let value = if kind == "piechart" {
            format!("{:.1}%", frac * 100.0)
        } else {
            short_number(*v)
        };
        let _ = writeln!(out, "{label:<label_w$} │{bar} {value}");
    }
    Some(out)
}

fn bounds(it: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = it.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if lo == hi {
        (lo - 1.0, hi + 1.0)
    } else {
        (lo, hi)
    }
}

fn scale(v: f64, lo: f64, hi: f64, cells: usize) -> usize {
    let f = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
    ((f * (cells - 1) as f64).round() as usize).min(cells - 1)
}

fn short_number(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", v / 1e3)
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Session;

    fn run(q: &str) -> Table {
        let s = Session::bundled().expect("bundled");
        s.run(q).expect("runs").remove(0)
    }

    #[test]
    fn finds_the_render_request() {
        assert_eq!(
            requested_chart("T | summarize count() by x | render barchart").as_deref(),
            Some("barchart")
        );
        assert_eq!(requested_chart("T | take 1"), None);
    }

    #[test]
    fn bar_chart_scales_to_the_largest_value() {
        let t = run("datatable(Host:string, N:long)['a', 10, 'bb', 5, 'c', 0]");
        let out = draw("barchart", &t, 60).expect("drawn");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3);
        let bar_len = |l: &str| l.chars().filter(|c| *c == '█').count();
        assert_eq!(bar_len(lines[0]), 42, "{out}");
        assert_eq!(bar_len(lines[1]), 21, "{out}");
        assert_eq!(bar_len(lines[2]), 0, "{out}");
        assert!(
            lines[0].starts_with("a  │") && lines[0].ends_with(" 10"),
            "{out}"
        );
    }

    #[test]
    fn pie_chart_shows_shares() {
        let t = run("datatable(Host:string, N:long)['a', 3, 'b', 1]");
        let out = draw("piechart", &t, 60).expect("drawn");
        assert!(
            out.lines().next().is_some_and(|l| l.ends_with(" 75.0%")),
            "{out}"
        );
        assert!(
            out.lines().nth(1).is_some_and(|l| l.ends_with(" 25.0%")),
            "{out}"
        );
    }

    #[test]
    fn time_chart_plots_each_series() {
        let t =
            run("DeviceProcessEvents | summarize n = count() by bin(Timestamp, 1d), ActionType");
        let out = draw("timechart", &t, 100).expect("drawn");
        assert!(out.contains('┤') && out.contains('└'), "{out}");
        assert!(out.contains("● ProcessCreated"), "{out}");
        assert!(out.contains("2026-01-26"), "{out}");
        assert_eq!(draw("timechart", &run("print s = 'x'"), 80), None);
    }
}
