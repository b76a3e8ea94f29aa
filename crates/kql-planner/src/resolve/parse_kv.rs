//! `parse-kv`: the keys to extract and the `with (...)` parameters that say
//! how pairs are delimited, quoted and escaped.

use super::*;
use crate::rowops::{KvMode, ParseKvPlan, RowOp, RowOpKind};

impl Planner<'_> {
    pub(super) fn parse_kv(
        &mut self,
        input: LogicalPlan,
        e: &ast::Expr,
        keys: &[ast::ColumnDecl],
        params: &[(ast::Ident, ast::Expr)],
        span: Span,
    ) -> R<LogicalPlan> {
        let schema = input.schema();
        let mut expr = self.expr(e, &schema)?;
        match expr.ty {
            KqlType::String => {}
            KqlType::Dynamic => expr = expr.cast(KqlType::String),
            t => {
                return Err(err(
                    "kql::plan::type_mismatch",
                    format!("parse-kv needs a string to parse, this is {t}"),
                    e.span,
                )
                .with_help("convert it with tostring()"))
            }
        }
        let mut out: Vec<(String, KqlType)> = Vec::new();
        for k in keys {
            if schema.index_of(&k.name.name).is_some() || out.iter().any(|(n, _)| *n == k.name.name)
            {
                return Err(err(
                    "kql::plan::duplicate_column",
                    format!("a column named `{}` already exists", k.name.name),
                    k.name.span,
                )
                .with_help("extract each key once, into a column name the input does not have"));
            }
            out.push((k.name.name.clone(), k.ty));
        }
        if out.is_empty() {
            return Err(err(
                "kql::plan::bad_arguments",
                "parse-kv needs at least one key to extract",
                span,
            ));
        }
        let (mut pair, mut kv, mut regex) = (None, None, None);
        let mut quotes: Vec<(char, char)> = Vec::new();
        let mut escapes: Vec<char> = Vec::new();
        let mut greedy = false;
        for (name, value) in params {
            let v = self.constant(value, &Schema::default())?;
            let text = |what: &str| match &v {
                ScalarValue::String(s) if !s.is_empty() => Ok(s.clone()),
                _ => Err(err(
                    "kql::plan::bad_arguments",
                    format!("`{}` needs {what}", name.name),
                    value.span,
                )),
            };
            match name.name.as_str() {
                "pair_delimiter" => pair = Some(text("a non-empty string")?),
                "kv_delimiter" => kv = Some(text("a non-empty string")?),
                "regex" => regex = Some((text("a regular expression")?, value.span)),
                "quote" => {
                    let s: Vec<char> = text("one or two quote characters")?.chars().collect();
                    match s.as_slice() {
                        [q] => quotes.push((*q, *q)),
                        [o, c] => quotes.push((*o, *c)),
                        _ => {
                            return Err(err(
                                "kql::plan::bad_arguments",
                                "`quote` is one character, or an opening and a closing one",
                                value.span,
                            ))
                        }
                    }
                }
                "escape" => {
                    let s: Vec<char> = text("one escape character")?.chars().collect();
                    match s.as_slice() {
                        [c] => escapes.push(*c),
                        _ => {
                            return Err(err(
                                "kql::plan::bad_arguments",
                                "`escape` is one character",
                                value.span,
                            ))
                        }
                    }
                }
                "greedy" => match v {
                    ScalarValue::Bool(b) => greedy = b,
                    _ => {
                        return Err(err(
                            "kql::plan::bad_arguments",
                            "`greedy` needs true or false",
                            value.span,
                        ))
                    }
                },
                other => {
                    return Err(err(
                        "kql::plan::bad_arguments",
                        format!("parse-kv has no parameter `{other}`"),
                        name.span,
                    )
                    .with_help(
                        "parameters: pair_delimiter, kv_delimiter, quote, escape, greedy, regex",
                    ))
                }
            }
        }
        let mode = match (regex, pair, kv) {
            (Some((re, re_span)), None, None) => {
                match regex::Regex::new(&re) {
                    Ok(r) if r.captures_len() == 3 => {}
                    Ok(_) => {
                        return Err(err(
                            "kql::plan::bad_arguments",
                            "the `regex` of parse-kv needs exactly two capturing groups: the key and the value",
                            re_span,
                        ))
                    }
                    Err(e) => {
                        return Err(err(
                            "kql::plan::invalid_regex",
                            "the `regex` of parse-kv is not a valid regular expression",
                            re_span,
                        )
                        .with_note(e.to_string()))
                    }
                }
                KvMode::Regex(re)
            }
            (Some((_, re_span)), _, _) => {
                return Err(err(
                    "kql::plan::bad_arguments",
                    "`regex` cannot be combined with delimiters",
                    re_span,
                ))
            }
            (None, Some(pair), Some(kv)) => KvMode::Delimited {
                pair,
                kv,
                quotes,
                escapes,
                greedy,
            },
            (None, None, None) => KvMode::Free { quotes, escapes },
            (None, _, _) => {
                return Err(err(
                    "kql::plan::bad_arguments",
                    "parse-kv needs both `pair_delimiter` and `kv_delimiter`, or neither",
                    span,
                ))
            }
        };
        Ok(LogicalPlan::RowOp(Box::new(RowOp {
            input: Box::new(input),
            kind: RowOpKind::ParseKv(ParseKvPlan {
                expr,
                keys: out,
                mode,
            }),
        })))
    }
}

impl Planner<'_> {
    /// `reduce [kind=source] by expr [with threshold = x, characters = "s"]`
    pub(super) fn reduce(
        &mut self,
        input: LogicalPlan,
        source: bool,
        e: &ast::Expr,
        params: &[(ast::Ident, ast::Expr)],
    ) -> R<LogicalPlan> {
        let schema = input.schema();
        let mut expr = self.expr(e, &schema)?;
        match expr.ty {
            KqlType::String => {}
            KqlType::Dynamic | KqlType::Guid => expr = expr.cast(KqlType::String),
            t => {
                return Err(err(
                    "kql::plan::type_mismatch",
                    format!("reduce groups strings, this is {t}"),
                    e.span,
                )
                .with_help("convert it with tostring()"))
            }
        }
        if source && schema.index_of("Pattern").is_some() {
            return Err(err(
                "kql::plan::duplicate_column",
                "reduce kind=source adds a `Pattern` column, which the input already has",
                e.span,
            ));
        }
        let mut threshold = 0.1;
        let mut characters = None;
        for (name, value) in params {
            let v = self.constant(value, &Schema::default())?;
            match (name.name.as_str(), v) {
                ("threshold", ScalarValue::Real(x)) if (0.0..=1.0).contains(&x) => threshold = x,
                ("threshold", ScalarValue::Long(x)) if (0..=1).contains(&x) => threshold = x as f64,
                ("threshold", _) => {
                    return Err(err(
                        "kql::plan::bad_arguments",
                        "`threshold` is a real number between 0 and 1",
                        value.span,
                    ))
                }
                ("characters", ScalarValue::String(s)) if !s.is_empty() => characters = Some(s),
                ("characters", _) => {
                    return Err(err(
                        "kql::plan::bad_arguments",
                        "`characters` is a non-empty string of term separators",
                        value.span,
                    ))
                }
                (other, _) => {
                    return Err(err(
                        "kql::plan::bad_arguments",
                        format!("reduce has no parameter `{other}`"),
                        name.span,
                    )
                    .with_help("parameters: threshold, characters"))
                }
            }
        }
        Ok(LogicalPlan::RowOp(Box::new(RowOp {
            input: Box::new(input),
            kind: RowOpKind::Reduce(crate::rowops::ReducePlan {
                expr,
                threshold,
                characters,
                source,
            }),
        })))
    }
}
