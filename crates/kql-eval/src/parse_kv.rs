//! `parse-kv`: finds the listed keys in each string and their values, in
//! one pass over the strings; each key's texts then convert to its column
//! type with one cast.

use crate::error::EvalResult;
use crate::expr::{arrow_err, eval_plain};
use crate::{arrow_schema_of, EvalContext, Table};
use arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use kql_common::KqlType;
use kql_planner::rowops::{KvMode, ParseKvPlan, RowOp};

/// Runs `parse-kv` over every batch of `input`.
pub fn parse_kv(r: &RowOp, p: &ParseKvPlan, input: &Table, ctx: &EvalContext) -> EvalResult<Table> {
    let schema = arrow_schema_of(&r.schema());
    let regex = match &p.mode {
        KvMode::Regex(re) => Some(regex::Regex::new(re).map_err(|e| {
            crate::error::runtime("kql::eval::invalid_regex", e.to_string(), p.expr.span)
        })?),
        _ => None,
    };
    let keys: Vec<&str> = p.keys.iter().map(|(k, _)| k.as_str()).collect();
    let mut out = Vec::with_capacity(input.batches.len());
    for batch in &input.batches {
        ctx.check_cancelled()?;
        let n = batch.num_rows();
        let text = eval_plain(&p.expr, batch, ctx)?.into_array(n);
        let text = text.as_string::<i32>();
        let mut builders: Vec<StringBuilder> = keys
            .iter()
            .map(|_| StringBuilder::with_capacity(n, n * 8))
            .collect();
        let mut found: Vec<Option<String>> = vec![None; keys.len()];
        for i in 0..n {
            found.iter_mut().for_each(|f| *f = None);
            if text.is_valid(i) {
                let s = text.value(i);
                let mut put = |k: &str, v: String| {
                    if let Some(j) = keys.iter().position(|x| *x == k) {
                        if found[j].is_none() {
                            found[j] = Some(v);
                        }
                    }
                };
                match (&p.mode, &regex) {
                    (_, Some(re)) => {
                        for c in re.captures_iter(s) {
                            if let (Some(k), Some(v)) = (c.get(1), c.get(2)) {
                                put(k.as_str().trim(), v.as_str().trim().to_string());
                            }
                        }
                    }
                    (
                        KvMode::Delimited {
                            pair,
                            kv,
                            quotes,
                            escapes,
                            greedy,
                        },
                        None,
                    ) => {
                        let syntax = Syntax { quotes, escapes };
                        delimited(s, pair, kv, &syntax, *greedy, &mut put);
                    }
                    (KvMode::Free { quotes, escapes }, None) => {
                        let syntax = Syntax { quotes, escapes };
                        free(s, &keys, &syntax, &mut put);
                    }
                    (KvMode::Regex(_), None) => {}
                }
            }
            for (b, f) in builders.iter_mut().zip(&found) {
                b.append_option(f.as_deref());
            }
        }
        let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
        for (mut b, (_, ty)) in builders.into_iter().zip(&p.keys) {
            let texts: ArrayRef = std::sync::Arc::new(b.finish());
            columns.push(if *ty == KqlType::String {
                crate::join::non_null_strings(texts, KqlType::String)
            } else {
                crate::cast::cast_array(&texts, KqlType::String, *ty)?
            });
        }
        out.push(
            RecordBatch::try_new_with_options(
                schema.clone(),
                columns,
                &RecordBatchOptions::new().with_row_count(Some(n)),
            )
            .map_err(arrow_err)?,
        );
    }
    Ok(Table {
        schema,
        batches: out,
    })
}

/// Quote and escape characters.
struct Syntax<'a> {
    quotes: &'a [(char, char)],
    escapes: &'a [char],
}

impl Syntax<'_> {
    /// The closing quote if `s` starts with an opening one.
    fn opens(&self, s: &str) -> Option<char> {
        let c = s.chars().next()?;
        self.quotes.iter().find(|(o, _)| *o == c).map(|(_, c)| *c)
    }

    /// Reads the quoted text at the start of `s` (which starts with an
    /// opening quote), undoing escapes; returns it and the length read.
    fn quoted(&self, s: &str, close: char) -> (String, usize) {
        let mut out = String::new();
        let mut it = s.char_indices().skip(1);
        while let Some((i, c)) = it.next() {
            if self.escapes.contains(&c) {
                if let Some((_, next)) = it.next() {
                    out.push(next);
                }
                continue;
            }
            if c == close {
                return (out, i + c.len_utf8());
            }
            out.push(c);
        }
        (out, s.len())
    }
}

fn skip_ws(s: &str, pos: usize) -> usize {
    let rest = s.get(pos..).unwrap_or("");
    pos + (rest.len() - rest.trim_start().len())
}

/// Where the next pair starts after `pos`: just past the next pair
/// delimiter, or the end.
fn next_pair(s: &str, pos: usize, pair: &str) -> usize {
    match s.get(pos..).and_then(|r| r.find(pair)) {
        Some(j) => pos + j + pair.len(),
        None => s.len(),
    }
}

/// Whether a key (then the key/value delimiter) starts at `pos`.
fn key_at(s: &str, pos: usize, pair: &str, kv: &str, syntax: &Syntax) -> bool {
    let p = skip_ws(s, pos);
    let rest = s.get(p..).unwrap_or("");
    if let Some(close) = syntax.opens(rest) {
        let (_, len) = syntax.quoted(rest, close);
        let after = skip_ws(s, p + len);
        return s.get(after..).is_some_and(|r| r.starts_with(kv));
    }
    match rest.find(kv) {
        Some(k) => {
            let key = &rest[..k];
            !key.trim().is_empty() && !key.contains(pair)
        }
        None => false,
    }
}

/// `pair_delimiter`/`kv_delimiter` mode.
fn delimited(
    s: &str,
    pair: &str,
    kv: &str,
    syntax: &Syntax,
    greedy: bool,
    put: &mut dyn FnMut(&str, String),
) {
    let mut pos = 0;
    while pos < s.len() {
        pos = skip_ws(s, pos);
        let rest = &s[pos..];
        if rest.is_empty() {
            break;
        }
        // The key.
        let key = if let Some(close) = syntax.opens(rest) {
            let (key, len) = syntax.quoted(rest, close);
            let after = skip_ws(s, pos + len);
            if !s[after..].starts_with(kv) {
                pos = next_pair(s, after, pair);
                continue;
            }
            pos = after + kv.len();
            key
        } else {
            let Some(k) = rest.find(kv) else { break };
            if let Some(d) = rest.find(pair) {
                if d < k {
                    pos += d + pair.len();
                    continue;
                }
            }
            pos += k + kv.len();
            rest[..k].trim().to_string()
        };
        // The value.
        let vstart = skip_ws(s, pos);
        let rest = &s[vstart..];
        let value = if let Some(close) = syntax.opens(rest) {
            let (v, len) = syntax.quoted(rest, close);
            pos = next_pair(s, vstart + len, pair);
            v
        } else if greedy {
            // Up to the pair delimiter that is followed by a key.
            let mut end = s.len();
            let mut from = vstart;
            pos = s.len();
            while let Some(j) = s.get(from..).and_then(|r| r.find(pair)) {
                let d = from + j;
                if key_at(s, d + pair.len(), pair, kv, syntax) {
                    end = d;
                    pos = d + pair.len();
                    break;
                }
                from = d + pair.len();
            }
            s[vstart..end].trim().to_string()
        } else {
            let end = rest.find(pair).map_or(s.len(), |j| vstart + j);
            pos = if end < s.len() { end + pair.len() } else { end };
            s[vstart..end].trim().to_string()
        };
        put(&key, value);
    }
}

/// Mode without delimiters: a listed key at the start of a word, then any
/// non-alphanumeric characters, then its value (a word or a quoted text).
fn free(s: &str, keys: &[&str], syntax: &Syntax, put: &mut dyn FnMut(&str, String)) {
    let word_len = |r: &str| {
        r.char_indices()
            .find(|(_, c)| !c.is_alphanumeric())
            .map_or(r.len(), |(i, _)| i)
    };
    let mut pos = 0;
    while pos < s.len() {
        let rest = &s[pos..];
        let Some(c) = rest.chars().next() else { break };
        if c.is_alphanumeric() {
            let key = keys.iter().copied().filter(|k| !k.is_empty()).find(|k| {
                rest.starts_with(*k)
                    && !rest[k.len()..]
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_alphanumeric())
            });
            let Some(key) = key else {
                pos += word_len(rest);
                continue;
            };
            let mut p = pos + key.len();
            while let Some(c) = s[p..].chars().next() {
                if c.is_alphanumeric() || syntax.opens(&s[p..]).is_some() {
                    break;
                }
                p += c.len_utf8();
            }
            let vrest = &s[p..];
            if let Some(close) = syntax.opens(vrest) {
                let (v, len) = syntax.quoted(vrest, close);
                put(key, v.trim().to_string());
                pos = p + len;
            } else {
                let len = word_len(vrest);
                if len > 0 {
                    put(key, vrest[..len].to_string());
                }
                pos = p + len;
            }
        } else if let Some(close) = syntax.opens(rest) {
            pos += syntax.quoted(rest, close).1;
        } else {
            pos += c.len_utf8();
        }
    }
}
