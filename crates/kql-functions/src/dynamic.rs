//! Dynamic values: parsing JSON, property access and indexing, arrays,
//! property bags and sets, and parsers that build dynamic values (URLs,
//! paths, command lines, CSV).

use crate::json;
use crate::kernel::{arg, rows_ok, str_to_dyn, strs, sv, val};
use crate::typing::{arity, sig, sig_var, P};
use crate::{Arg, Category, Ctx, Example, FunctionDef, Typed};
use arrow::array::{Array, ArrayRef, StringBuilder};
use kql_common::{KqlType, ScalarValue};
use serde_json::{Map, Value};
use std::sync::Arc;

const C: Category = Category::Dynamic;
use KqlType::{Dynamic, Long, String as Str};

pub static FUNCTIONS: &[&FunctionDef] = &[
    &PARSE_JSON,
    &TODYNAMIC,
    &PARSEJSON,
    &MEMBER,
    &INDEX,
    &ARRAY_LENGTH,
    &PACK_ARRAY,
    &PACK,
    &BAG_PACK,
    &PACK_DICTIONARY,
    &BAG_KEYS,
    &BAG_MERGE,
    &BAG_HAS_KEY,
    &BAG_REMOVE_KEYS,
    &SET_HAS_ELEMENT,
    &SET_INTERSECT,
    &SET_UNION,
    &SET_DIFFERENCE,
    &JACCARD_INDEX,
    &PACK_ALL,
    &BAG_PACK_COLUMNS,
    &COLUMN_NAMES_OF,
    &ESTIMATE_DATA_SIZE,
    &STRCAT_ARRAY,
    &ARRAY_SORT_ASC,
    &ARRAY_SORT_DESC,
    &ZIP,
    &TREEPATH,
    &ARRAY_INDEX_OF,
    &ARRAY_SLICE,
    &ARRAY_CONCAT,
    &ARRAY_REVERSE,
    &ARRAY_SUM,
    &DYNAMIC_TO_JSON,
    &GETTYPE,
    &EXTRACTJSON,
    &EXTRACT_JSON,
    &PARSE_CSV,
    &RANGE,
    &ARRAY_IFF,
    &ARRAY_ROTATE_LEFT,
    &ARRAY_ROTATE_RIGHT,
    &ARRAY_SHIFT_LEFT,
    &ARRAY_SHIFT_RIGHT,
    &ARRAY_SPLIT,
    &BAG_SET_KEY,
    &BAG_ZIP,
];

/// `parse_json` over strings: valid JSON becomes that value (kept as its
/// text when already compact), other text a dynamic string.
fn parse_json_kernel(_: &Ctx, args: &[Arg]) -> Result<ArrayRef, String> {
    let a = arg(args, 0)?;
    if a.ty == Dynamic {
        return Ok(a.array.clone());
    }
    let s = strs(args, 0)?;
    Ok(str_to_dyn(s, |t, out| {
        match json::normalize(t) {
            Some(j) => out.push_str(&j),
            None => out.push_str(&Value::String(t.to_string()).to_string()),
        }
        true
    }))
}

fn parse_json_typing(name: &str, a: &[crate::ArgInfo]) -> Result<Typed, String> {
    arity(name, a, 1, 1)?;
    if !matches!(a[0].ty, Dynamic | Str | KqlType::Guid) {
        return Err(format!(
            "argument 1 of {name}() must be string or dynamic, not {}",
            a[0].ty
        ));
    }
    let t = if a[0].ty == Dynamic { Dynamic } else { Str };
    Ok(Typed {
        ret: Dynamic,
        args: vec![t],
    })
}

static PARSE_JSON: FunctionDef = FunctionDef::new(
    "parse_json",
    C,
    "parse_json(json: string): dynamic",
    "Parses JSON text into a dynamic value; text that is not JSON becomes a dynamic string; a dynamic argument is returned as it is.",
    |a| parse_json_typing("parse_json", a),
    parse_json_kernel,
)
.examples(&[
    Example {
        query: "print d = parse_json('{\"a\": 1, \"b\": {\"c\": \"x\"}}') | extend a = d.a, c = tostring(d.b.c), t = d[\"b\"]",
        output: "d,a,c,t\n\"{\"\"a\"\":1,\"\"b\"\":{\"\"c\"\":\"\"x\"\"}}\",1,x,\"{\"\"c\"\":\"\"x\"\"}\"",
    },
    Example {
        query: "print a = tostring(parse_json(\"not json\")), b = parse_json(\"[1,2]\")[1], c = gettype(parse_json(\"12\"))",
        output: "a,b,c\nnot json,2,long",
    },
]);

static TODYNAMIC: FunctionDef = FunctionDef::new(
    "todynamic",
    C,
    "todynamic(json: string): dynamic",
    "Same as parse_json.",
    |a| parse_json_typing("todynamic", a),
    parse_json_kernel,
);

static PARSEJSON: FunctionDef = FunctionDef::new(
    "parsejson",
    C,
    "parsejson(json: string): dynamic",
    "Same as parse_json (deprecated name).",
    |a| parse_json_typing("parsejson", a),
    parse_json_kernel,
);

/// `d.Name` and `d["Name"]`: the property's value, or null.
static MEMBER: FunctionDef = FunctionDef::new(
    "$member",
    C,
    "d.Name, d[\"Name\"]",
    "Property access on a dynamic value.",
    |a| sig("$member", a, 2, &[P::Dyn, P::Str], Dynamic),
    |ctx, args| {
        let d = strs(args, 0)?;
        let k = strs(args, 1)?;
        let mut b = StringBuilder::with_capacity(ctx.len, d.value_data().len() / 4);
        for i in 0..ctx.len {
            match (d.is_valid(i))
                .then(|| json::member(d.value(i), sv(k, i)))
                .flatten()
                .filter(|v| *v != "null")
            {
                Some(v) => b.append_value(v),
                None => b.append_null(),
            }
        }
        Ok(Arc::new(b.finish()))
    },
)
.hidden();

/// `d[0]`, `d[-1]`, `d[key]`: an array element (negative from the end) or a
/// property.
static INDEX: FunctionDef = FunctionDef::new(
    "$index",
    C,
    "d[index]",
    "Indexing a dynamic array (negative indexes count from the end) or bag.",
    |a| sig("$index", a, 2, &[P::Dyn, P::Any], Dynamic),
    |ctx, args| {
        let d = strs(args, 0)?;
        let ix = arg(args, 1)?;
        let mut b = StringBuilder::with_capacity(ctx.len, d.value_data().len() / 4);
        for i in 0..ctx.len {
            let key = crate::convert::array_value(ix.array.as_ref(), ix.ty, i);
            let found = if d.is_null(i) {
                None
            } else {
                let text = d.value(i);
                match &key {
                    ScalarValue::String(k) => json::member(text, k),
                    ScalarValue::Dynamic(Value::String(k)) => json::member(text, k),
                    k => val::long(k).and_then(|n| json::index(text, n)),
                }
            };
            match found.filter(|v| *v != "null") {
                Some(v) => b.append_value(v),
                None => b.append_null(),
            }
        }
        Ok(Arc::new(b.finish()))
    },
)
.hidden();

fn dyn_arg(r: &[ScalarValue], i: usize) -> Option<&Value> {
    r.get(i).and_then(val::json)
}

fn array_arg(r: &[ScalarValue], i: usize) -> Option<&Vec<Value>> {
    match dyn_arg(r, i) {
        Some(Value::Array(a)) => Some(a),
        _ => None,
    }
}

static ARRAY_LENGTH: FunctionDef = FunctionDef::new(
    "array_length",
    C,
    "array_length(array: dynamic): long",
    "Number of elements of a dynamic array; null when the value is not an array.",
    |a| sig("array_length", a, 1, &[P::Dyn], Long),
    |ctx, args| {
        let d = strs(args, 0)?;
        let out: arrow::array::Int64Array = (0..ctx.len)
            .map(|i| {
                if d.is_null(i) {
                    return None;
                }
                json::elements(d.value(i)).map(|e| e.len() as i64)
            })
            .collect();
        Ok(Arc::new(out))
    },
)
.examples(&[Example {
    query: "print a = array_length(dynamic([1, 2, 3])), b = array_length(dynamic({\"k\": 1})), c = array_length(dynamic([]))",
    output: "a,b,c\n3,,0",
}]);

/// A KQL value as a JSON value (datetimes and timespans as text).
pub fn to_json(v: &ScalarValue) -> Value {
    match v {
        ScalarValue::Null(_) => Value::Null,
        ScalarValue::Bool(b) => Value::Bool(*b),
        ScalarValue::Int(i) => Value::from(*i),
        ScalarValue::Long(i) => Value::from(*i),
        ScalarValue::Real(r) => serde_json::Number::from_f64(*r).map_or(Value::Null, Value::Number),
        ScalarValue::Dynamic(d) => d.clone(),
        other => Value::String(crate::convert::scalar_to_string(other)),
    }
}

fn pack_array_kernel(ctx: &Ctx, args: &[Arg]) -> Result<ArrayRef, String> {
    rows_ok(ctx, args, |r| {
        ScalarValue::Dynamic(Value::Array(r.iter().map(to_json).collect()))
    })
}

static PACK_ARRAY: FunctionDef = FunctionDef::new(
    "pack_array",
    C,
    "pack_array(value1, ...): dynamic",
    "A dynamic array of the arguments.",
    |a| sig_var("pack_array", a, 1, &[P::Any], Dynamic),
    pack_array_kernel,
)
.examples(&[Example {
    query: "print pack_array(1, \"a\", dynamic({\"x\": 2}), datetime(2026-01-01))",
    output: "print_0\n\"[1,\"\"a\"\",{\"\"x\"\":2},\"\"2026-01-01T00:00:00.0000000Z\"\"]\"",
}]);

fn bag_pack_typing(name: &str, a: &[crate::ArgInfo]) -> Result<Typed, String> {
    if a.len() % 2 == 1 {
        return Err(format!(
            "{name}() takes pairs of key and value, got {} arguments",
            a.len()
        ));
    }
    Ok(Typed {
        ret: Dynamic,
        args: a
            .iter()
            .enumerate()
            .map(|(i, x)| if i % 2 == 0 { Str } else { x.ty })
            .collect(),
    })
}

fn bag_pack_kernel(ctx: &Ctx, args: &[Arg]) -> Result<ArrayRef, String> {
    rows_ok(ctx, args, |r| {
        let mut m = Map::new();
        for pair in r.chunks(2) {
            if let [k, v] = pair {
                m.insert(val::str(k).to_string(), to_json(v));
            }
        }
        ScalarValue::Dynamic(Value::Object(m))
    })
}

static BAG_PACK: FunctionDef = FunctionDef::new(
    "bag_pack",
    C,
    "bag_pack(key1: string, value1, key2: string, value2, ...): dynamic",
    "A dynamic property bag of the key/value pairs.",
    |a| bag_pack_typing("bag_pack", a),
    bag_pack_kernel,
)
.examples(&[Example {
    query: "print bag_pack(\"Level\", \"Information\", \"ProcessID\", 1234)",
    output: "print_0\n\"{\"\"Level\"\":\"\"Information\"\",\"\"ProcessID\"\":1234}\"",
}]);

static PACK: FunctionDef = FunctionDef::new(
    "pack",
    C,
    "pack(key1: string, value1, ...): dynamic",
    "Same as bag_pack.",
    |a| bag_pack_typing("pack", a),
    bag_pack_kernel,
);

static PACK_DICTIONARY: FunctionDef = FunctionDef::new(
    "pack_dictionary",
    C,
    "pack_dictionary(key1: string, value1, ...): dynamic",
    "Same as bag_pack.",
    |a| bag_pack_typing("pack_dictionary", a),
    bag_pack_kernel,
);

static BAG_KEYS: FunctionDef = FunctionDef::new(
    "bag_keys",
    C,
    "bag_keys(bag: dynamic): dynamic",
    "The keys of a property bag, as a dynamic array; null when the value is not a bag.",
    |a| sig("bag_keys", a, 1, &[P::Dyn], Dynamic),
    |ctx, args| {
        rows_ok(ctx, args, |r| match dyn_arg(r, 0) {
            Some(Value::Object(m)) => ScalarValue::Dynamic(Value::Array(
                m.keys().map(|k| Value::String(k.clone())).collect(),
            )),
            _ => ScalarValue::Null(Dynamic),
        })
    },
)
.examples(&[Example {
    query: "print bag_keys(dynamic({\"a\": 1, \"b\": {\"c\": 2}}))",
    output: "print_0\n\"[\"\"a\"\",\"\"b\"\"]\"",
}]);

static BAG_MERGE: FunctionDef = FunctionDef::new(
    "bag_merge",
    C,
    "bag_merge(bag1: dynamic, bag2: dynamic, ...): dynamic",
    "Merges property bags; when a key is in several, the first bag's value wins.",
    |a| {
        arity("bag_merge", a, 2, 64)?;
        sig_var("bag_merge", a, 2, &[P::Dyn], Dynamic)
    },
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let mut m = Map::new();
            for v in r {
                if let Some(Value::Object(o)) = val::json(v) {
                    for (k, x) in o {
                        if !m.contains_key(k) {
                            m.insert(k.clone(), x.clone());
                        }
                    }
                }
            }
            ScalarValue::Dynamic(Value::Object(m))
        })
    },
)
.examples(&[Example {
    query:
        "print bag_merge(dynamic({'A1':12, 'B1':2, 'C1':3}), dynamic({'A2':81, 'B2':82, 'A1':1}))",
    output: "print_0\n\"{\"\"A1\"\":12,\"\"B1\"\":2,\"\"C1\"\":3,\"\"A2\"\":81,\"\"B2\"\":82}\"",
}]);

static BAG_HAS_KEY: FunctionDef = FunctionDef::new(
    "bag_has_key",
    C,
    "bag_has_key(bag: dynamic, key: string): bool",
    "Whether the property bag has the key.",
    |a| sig("bag_has_key", a, 2, &[P::Dyn, P::StrS], KqlType::Bool),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let key = val::str(&r[1]);
            let Some(bag @ Value::Object(_)) = dyn_arg(r, 0) else {
                return ScalarValue::Bool(false);
            };
            let steps = path_or_key(key);
            let mut cur = Some(bag);
            for s in &steps {
                cur = cur.and_then(|c| match s {
                    Value::String(k) => c.as_object().and_then(|m| m.get(k)),
                    i => i
                        .as_u64()
                        .and_then(|i| c.as_array().and_then(|a| a.get(i as usize))),
                });
            }
            ScalarValue::Bool(cur.is_some())
        })
    },
)
.examples(&[Example {
    query: "print a = bag_has_key(dynamic({'a': 1}), 'a'), b = bag_has_key(dynamic({'a': 1}), 'b')",
    output: "a,b\ntrue,false",
}]);

static BAG_REMOVE_KEYS: FunctionDef = FunctionDef::new(
    "bag_remove_keys",
    C,
    "bag_remove_keys(bag: dynamic, keys: dynamic): dynamic",
    "The bag without the given top-level keys.",
    |a| sig("bag_remove_keys", a, 2, &[P::Dyn, P::Dyn], Dynamic),
    |ctx, args| {
        rows_ok(ctx, args, |r| match (dyn_arg(r, 0), array_arg(r, 1)) {
            (Some(Value::Object(m)), Some(keys)) => {
                let mut bag = Value::Object(m.clone());
                for k in keys {
                    if let Some(k) = k.as_str() {
                        remove_path(&mut bag, &path_or_key(k));
                    }
                }
                ScalarValue::Dynamic(bag)
            }
            _ => ScalarValue::Null(Dynamic),
        })
    },
)
.examples(&[Example {
    query: "print bag_remove_keys(dynamic({'a': 1, 'b': 2}), dynamic(['a']))",
    output: "print_0\n\"{\"\"b\"\":2}\"",
}]);

static SET_HAS_ELEMENT: FunctionDef = FunctionDef::new(
    "set_has_element",
    C,
    "set_has_element(set: dynamic, value): bool",
    "Whether the dynamic array holds the value.",
    |a| sig("set_has_element", a, 2, &[P::Dyn, P::Any], KqlType::Bool),
    |ctx, args| {
        rows_ok(ctx, args, |r| match array_arg(r, 0) {
            Some(a) => ScalarValue::Bool(a.contains(&to_json(&r[1]))),
            None => ScalarValue::Null(KqlType::Bool),
        })
    },
)
.examples(&[Example { query: "print a = set_has_element(dynamic([\"this\", \"is\"]), \"is\"), b = set_has_element(dynamic([1, 2]), 3)", output: "a,b\ntrue,false" }]);

fn set_op(
    ctx: &Ctx,
    args: &[Arg],
    op: fn(&mut Vec<Value>, &[Value], bool),
) -> Result<ArrayRef, String> {
    rows_ok(ctx, args, |r| {
        let mut out: Vec<Value> = Vec::new();
        for (i, v) in r.iter().enumerate() {
            let items: &[Value] = match val::json(v) {
                Some(Value::Array(a)) => a,
                _ => &[],
            };
            op(&mut out, items, i == 0);
        }
        ScalarValue::Dynamic(Value::Array(out))
    })
}

fn push_distinct(out: &mut Vec<Value>, items: &[Value]) {
    for x in items {
        if !out.contains(x) {
            out.push(x.clone());
        }
    }
}

static SET_UNION: FunctionDef = FunctionDef::new(
    "set_union",
    C,
    "set_union(set1: dynamic, set2: dynamic, ...): dynamic",
    "The distinct values found in any of the arrays.",
    |a| sig_var("set_union", a, 2, &[P::Dyn], Dynamic),
    |ctx, args| set_op(ctx, args, |out, items, _| push_distinct(out, items)),
)
.examples(&[Example {
    query: "print set_union(dynamic([1, 2, 3]), dynamic([2, 4]))",
    output: "print_0\n\"[1,2,3,4]\"",
}]);

static SET_INTERSECT: FunctionDef = FunctionDef::new(
    "set_intersect",
    C,
    "set_intersect(set1: dynamic, set2: dynamic, ...): dynamic",
    "The distinct values found in every array.",
    |a| sig_var("set_intersect", a, 2, &[P::Dyn], Dynamic),
    |ctx, args| {
        set_op(ctx, args, |out, items, first| {
            if first {
                push_distinct(out, items);
            } else {
                out.retain(|x| items.contains(x));
            }
        })
    },
)
.examples(&[Example {
    query: "print set_intersect(dynamic([1, 2, 3]), dynamic([2, 3, 4]))",
    output: "print_0\n\"[2,3]\"",
}]);

static SET_DIFFERENCE: FunctionDef = FunctionDef::new(
    "set_difference",
    C,
    "set_difference(set1: dynamic, set2: dynamic, ...): dynamic",
    "The distinct values of the first array found in none of the others.",
    |a| sig_var("set_difference", a, 2, &[P::Dyn], Dynamic),
    |ctx, args| {
        set_op(ctx, args, |out, items, first| {
            if first {
                push_distinct(out, items);
            } else {
                out.retain(|x| !items.contains(x));
            }
        })
    },
)
.examples(&[Example {
    query: "print set_difference(dynamic([1, 2, 3]), dynamic([2]))",
    output: "print_0\n\"[1,3]\"",
}]);

fn plain(v: &Value) -> String {
    crate::convert::scalar_to_string(&ScalarValue::Dynamic(v.clone()))
}

static STRCAT_ARRAY: FunctionDef = FunctionDef::new(
    "strcat_array",
    C,
    "strcat_array(array: dynamic, delimiter: string): string",
    "The elements of an array joined with a delimiter.",
    |a| sig("strcat_array", a, 2, &[P::Dyn, P::Str], Str),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let d = val::str(&r[1]);
            ScalarValue::String(match array_arg(r, 0) {
                Some(a) => a.iter().map(plain).collect::<Vec<_>>().join(d),
                None => String::new(),
            })
        })
    },
)
.examples(&[Example {
    query: "print strcat_array(dynamic([1, \"b\", 3]), \"-\")",
    output: "print_0\n1-b-3",
}]);

fn cmp_json(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

fn rank(v: &Value) -> u8 {
    match v {
        Value::Bool(_) => 0,
        Value::Number(_) => 1,
        Value::String(_) => 2,
        Value::Array(_) => 3,
        Value::Object(_) => 4,
        Value::Null => 5,
    }
}

/// The arrays and the nulls-last flag of an `array_sort_*` call: every
/// argument is an array but a final bool.
fn sort_typing(name: &str, a: &[crate::ArgInfo]) -> Result<Typed, String> {
    crate::typing::arity(name, a, 1, usize::MAX)?;
    let last_flag = a.len() > 1 && a[a.len() - 1].ty == KqlType::Bool;
    let mut args = vec![Dynamic; a.len()];
    if last_flag {
        args[a.len() - 1] = KqlType::Bool;
    }
    for (i, x) in a.iter().enumerate() {
        if args[i] == Dynamic && x.ty != Dynamic {
            return Err(format!(
                "argument {} of {name}() must be a dynamic array{}, not {}",
                i + 1,
                if i > 0 { " (or a final bool)" } else { "" },
                x.ty
            ));
        }
    }
    Ok(Typed { ret: Dynamic, args })
}

/// How many of an `array_sort_*` call's arguments are arrays.
pub fn sorted_array_count(arg_types: &[KqlType]) -> usize {
    match arg_types.last() {
        Some(KqlType::Bool) if arg_types.len() > 1 => arg_types.len() - 1,
        _ => arg_types.len(),
    }
}

/// Sorts the first array (nulls last unless the final bool is false) and
/// orders the other arrays to match; one array gives the sorted array,
/// several give an array of the arrays (null for one whose length differs
/// from the first's).
fn sort_kernel(ctx: &Ctx, args: &[Arg], desc: bool) -> Result<ArrayRef, String> {
    let types: Vec<KqlType> = args.iter().map(|a| a.ty).collect();
    let n = sorted_array_count(&types);
    rows_ok(ctx, args, |r| {
        let Some(a) = array_arg(r, 0) else {
            return ScalarValue::Null(Dynamic);
        };
        let nulls_last = n == r.len() || !matches!(r[n], ScalarValue::Bool(false));
        let mut order: Vec<usize> = (0..a.len()).collect();
        order.sort_by(|&x, &y| {
            let (vx, vy) = (&a[x], &a[y]);
            match (vx.is_null(), vy.is_null()) {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) if nulls_last => std::cmp::Ordering::Greater,
                (true, false) => std::cmp::Ordering::Less,
                (false, true) if nulls_last => std::cmp::Ordering::Less,
                (false, true) => std::cmp::Ordering::Greater,
                (false, false) if desc => cmp_json(vy, vx),
                (false, false) => cmp_json(vx, vy),
            }
        });
        let reorder = |arr: &[Value]| Value::Array(order.iter().map(|&i| arr[i].clone()).collect());
        if n == 1 {
            return ScalarValue::Dynamic(reorder(a));
        }
        let all = (0..n)
            .map(|k| match array_arg(r, k) {
                Some(arr) if arr.len() == a.len() => reorder(arr),
                _ => Value::Null,
            })
            .collect();
        ScalarValue::Dynamic(Value::Array(all))
    })
}

static ARRAY_SORT_ASC: FunctionDef = FunctionDef::new(
    "array_sort_asc",
    C,
    "array_sort_asc(array1: dynamic, [array2: dynamic, ...], [nulls_last: bool]): dynamic",
    "The first array sorted in ascending order (numbers before strings; nulls last unless nulls_last is false), and the other arrays ordered to match it (null for one of a different length). With several arrays, an unnamed `print`/`extend`/`project` item gives one column per array, named after the argument and `_sorted` (`(a, b) = array_sort_asc(x, y)` names them); elsewhere the value is the array of the arrays.",
    |a| sort_typing("array_sort_asc", a),
    |ctx, args| sort_kernel(ctx, args, false),
)
.examples(&[
    Example { query: "print array_sort_asc(dynamic([3, 1, 2]))", output: "print_0\n\"[1,2,3]\"" },
    Example {
        query: "let array1 = dynamic([1, 3, 4, 5, 2]);\nlet array2 = dynamic([\"a\", \"b\", \"c\", \"d\", \"e\"]);\nprint array_sort_asc(array1, array2)",
        output: "array1_sorted,array2_sorted\n\"[1,2,3,4,5]\",\"[\"\"a\"\",\"\"e\"\",\"\"b\"\",\"\"c\"\",\"\"d\"\"]\"",
    },
    Example {
        query: "print a = array_sort_asc(dynamic([2, 1]), dynamic([\"x\", \"y\"]), dynamic([1]))[1], b = array_sort_asc(dynamic([null, \"b\", \"a\"]), false)",
        output: "a,b\n\"[\"\"y\"\",\"\"x\"\"]\",\"[null,\"\"a\"\",\"\"b\"\"]\"",
    },
]);

static ARRAY_SORT_DESC: FunctionDef = FunctionDef::new(
    "array_sort_desc",
    C,
    "array_sort_desc(array1: dynamic, [array2: dynamic, ...], [nulls_last: bool]): dynamic",
    "The first array sorted in descending order, and the other arrays ordered to match it; as array_sort_asc otherwise.",
    |a| sort_typing("array_sort_desc", a),
    |ctx, args| sort_kernel(ctx, args, true),
)
.examples(&[
    Example {
        query: "print array_sort_desc(dynamic([\"b\", \"c\", \"a\"]))",
        output: "print_0\n\"[\"\"c\"\",\"\"b\"\",\"\"a\"\"]\"",
    },
    Example {
        query: "let array1 = dynamic([1, 3, 4, 5, 2]);\nlet array2 = dynamic([\"a\", \"b\", \"c\", \"d\", \"e\"]);\nprint (x, y) = array_sort_desc(array1, array2)",
        output: "x,y\n\"[5,4,3,2,1]\",\"[\"\"d\"\",\"\"c\"\",\"\"b\"\",\"\"e\"\",\"\"a\"\"]\"",
    },
]);

static ZIP: FunctionDef = FunctionDef::new(
    "zip",
    C,
    "zip(array1: dynamic, array2: dynamic, ...): dynamic",
    "An array of arrays: the first elements of each input, then the second... (null where an input is shorter).",
    |a| sig_var("zip", a, 2, &[P::Dyn], Dynamic),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let arrays: Vec<&[Value]> = r
                .iter()
                .map(|v| match val::json(v) {
                    Some(Value::Array(a)) => a.as_slice(),
                    _ => &[],
                })
                .collect();
            let n = arrays.iter().map(|a| a.len()).max().unwrap_or(0);
            ScalarValue::Dynamic(Value::Array(
                (0..n)
                    .map(|i| Value::Array(arrays.iter().map(|a| a.get(i).cloned().unwrap_or(Value::Null)).collect()))
                    .collect(),
            ))
        })
    },
)
.examples(&[Example { query: "print zip(dynamic([1,3,5]), dynamic([2,4,6]))", output: "print_0\n\"[[1,2],[3,4],[5,6]]\"" }]);

fn tree_paths(v: &Value, prefix: &str, out: &mut Vec<Value>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if k.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    format!("{prefix}.{k}")
                } else {
                    format!("{prefix}['{k}']")
                };
                out.push(Value::String(p.clone()));
                tree_paths(x, &p, out);
            }
        }
        Value::Array(a) => {
            let p = format!("{prefix}[0]");
            if !a.is_empty() {
                out.push(Value::String(p.clone()));
            }
            for x in a.iter().take(1) {
                tree_paths(x, &p, out);
            }
        }
        _ => {}
    }
}

static TREEPATH: FunctionDef = FunctionDef::new(
    "treepath",
    C,
    "treepath(value: dynamic): dynamic",
    "Every path in a dynamic value, as JSONPath-style strings.",
    |a| sig("treepath", a, 1, &[P::Dyn], Dynamic),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let mut out = Vec::new();
            if let Some(v) = dyn_arg(r, 0) {
                tree_paths(v, "$", &mut out);
            }
            ScalarValue::Dynamic(Value::Array(out))
        })
    },
)
.examples(&[Example {
    query: "print treepath(dynamic({\"a\": {\"b\": 1}, \"c\": [1]}))",
    output: "print_0\n\"[\"\"$.a\"\",\"\"$.a.b\"\",\"\"$.c\"\",\"\"$.c[0]\"\"]\"",
}]);

static ARRAY_INDEX_OF: FunctionDef = FunctionDef::new(
    "array_index_of",
    C,
    "array_index_of(array: dynamic, value, [start: long, [length: long, [occurrence: long]]]): long",
    "Zero-based index of the value in the array, or -1; null when the first argument is not an array.",
    |a| sig("array_index_of", a, 2, &[P::Dyn, P::Any, P::Long, P::Long, P::Long], Long),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let Some(a) = array_arg(r, 0) else {
                return ScalarValue::Null(Long);
            };
            let target = to_json(&r[1]);
            let n = a.len() as i64;
            let start = r.get(2).and_then(val::long).unwrap_or(0);
            let start = if start < 0 { (n + start).max(0) } else { start };
            let len = r.get(3).and_then(val::long).unwrap_or(-1);
            let end = if len < 0 { n } else { (start + len).min(n) };
            let occ = r.get(4).and_then(val::long).unwrap_or(1).max(1);
            let mut seen = 0;
            for i in start..end {
                if a.get(i as usize).is_some_and(|x| *x == target) {
                    seen += 1;
                    if seen == occ {
                        return ScalarValue::Long(i);
                    }
                }
            }
            ScalarValue::Long(-1)
        })
    },
)
.examples(&[Example { query: "print a = array_index_of(dynamic([\"a\", \"b\", \"c\"]), \"b\"), b = array_index_of(dynamic([1, 2]), 5)", output: "a,b\n1,-1" }]);

static ARRAY_SLICE: FunctionDef = FunctionDef::new(
    "array_slice",
    C,
    "array_slice(array: dynamic, start: long, end: long): dynamic",
    "Elements from start to end inclusive; negative indexes count from the end.",
    |a| sig("array_slice", a, 3, &[P::Dyn, P::Long, P::Long], Dynamic),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let Some(a) = array_arg(r, 0) else {
                return ScalarValue::Null(Dynamic);
            };
            let n = a.len() as i64;
            let fix = |x: i64| if x < 0 { n + x } else { x };
            let s = fix(val::long(&r[1]).unwrap_or(0)).max(0);
            let e = fix(val::long(&r[2]).unwrap_or(n - 1)).min(n - 1);
            let out = if s > e {
                vec![]
            } else {
                a[s as usize..=e as usize].to_vec()
            };
            ScalarValue::Dynamic(Value::Array(out))
        })
    },
)
.examples(&[Example { query: "print a = array_slice(dynamic([1,2,3,4,5]), 1, 3), b = array_slice(dynamic([1,2,3,4,5]), -2, -1), c = array_slice(dynamic([1,2,3]), 2, 10)", output: "a,b,c\n\"[2,3,4]\",\"[4,5]\",[3]" }]);

static ARRAY_CONCAT: FunctionDef = FunctionDef::new(
    "array_concat",
    C,
    "array_concat(array1: dynamic, ...): dynamic",
    "The arrays concatenated; null when an argument is not an array.",
    |a| sig_var("array_concat", a, 1, &[P::Dyn], Dynamic),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let mut out = Vec::new();
            for v in r {
                match val::json(v) {
                    Some(Value::Array(a)) => out.extend(a.iter().cloned()),
                    _ => return ScalarValue::Null(Dynamic),
                }
            }
            ScalarValue::Dynamic(Value::Array(out))
        })
    },
)
.examples(&[Example {
    query: "print array_concat(dynamic([1, 2]), dynamic([\"a\"]))",
    output: "print_0\n\"[1,2,\"\"a\"\"]\"",
}]);

static ARRAY_REVERSE: FunctionDef = FunctionDef::new(
    "array_reverse",
    C,
    "array_reverse(array: dynamic): dynamic",
    "The array in reverse order.",
    |a| sig("array_reverse", a, 1, &[P::Dyn], Dynamic),
    |ctx, args| {
        rows_ok(ctx, args, |r| match array_arg(r, 0) {
            Some(a) => ScalarValue::Dynamic(Value::Array(a.iter().rev().cloned().collect())),
            None => ScalarValue::Null(Dynamic),
        })
    },
)
.examples(&[Example {
    query: "print array_reverse(dynamic([1, 2, 3]))",
    output: "print_0\n\"[3,2,1]\"",
}]);

static ARRAY_SUM: FunctionDef = FunctionDef::new(
    "array_sum",
    C,
    "array_sum(array: dynamic): real",
    "Sum of the numeric elements of an array.",
    |a| sig("array_sum", a, 1, &[P::Dyn], KqlType::Real),
    |ctx, args| {
        rows_ok(ctx, args, |r| match array_arg(r, 0) {
            Some(a) => ScalarValue::Real(a.iter().filter_map(Value::as_f64).sum()),
            None => ScalarValue::Null(KqlType::Real),
        })
    },
)
.examples(&[Example {
    query: "print array_sum(dynamic([2, 5, 3]))",
    output: "print_0\n10.0",
}]);

static DYNAMIC_TO_JSON: FunctionDef = FunctionDef::new(
    "dynamic_to_json",
    C,
    "dynamic_to_json(value: dynamic): string",
    "The value as JSON text, with the keys of property bags sorted.",
    |a| sig("dynamic_to_json", a, 1, &[P::Dyn], Str),
    |ctx, args| {
        fn sorted(v: &Value) -> Value {
            match v {
                Value::Object(m) => {
                    let mut keys: Vec<&String> = m.keys().collect();
                    keys.sort();
                    Value::Object(
                        keys.into_iter()
                            .map(|k| (k.clone(), sorted(&m[k])))
                            .collect(),
                    )
                }
                Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
                x => x.clone(),
            }
        }
        rows_ok(ctx, args, |r| {
            ScalarValue::String(match dyn_arg(r, 0) {
                Some(v) => sorted(v).to_string(),
                None => "null".to_string(),
            })
        })
    },
)
.examples(&[Example {
    query: "print dynamic_to_json(dynamic({\"b\": 1, \"a\": [1, \"x\"]}))",
    output: "print_0\n\"{\"\"a\"\":[1,\"\"x\"\"],\"\"b\"\":1}\"",
}]);

static GETTYPE: FunctionDef = FunctionDef::new(
    "gettype",
    C,
    "gettype(value): string",
    "The runtime type of a value: for dynamic values the type of what they hold (`array`, `dictionary`, `string`, `long`, `real`, `bool`, `null`...).",
    |a| sig("gettype", a, 1, &[P::Any], Str),
    |ctx, args| {
        let t = arg(args, 0)?.ty;
        rows_ok(ctx, args, |r| {
            let name = match &r[0] {
                ScalarValue::Dynamic(v) => match v {
                    Value::Array(_) => "array",
                    Value::Object(_) => "dictionary",
                    Value::String(_) => "string",
                    Value::Bool(_) => "bool",
                    Value::Number(n) if n.is_i64() || n.is_u64() => "long",
                    Value::Number(_) => "real",
                    Value::Null => "null",
                },
                ScalarValue::Null(KqlType::Dynamic) => "null",
                _ => match t {
                    KqlType::Bool => "bool",
                    KqlType::Int => "int",
                    KqlType::Long => "long",
                    KqlType::Real => "real",
                    KqlType::Decimal => "decimal",
                    KqlType::String => "string",
                    KqlType::DateTime => "datetime",
                    KqlType::TimeSpan => "timespan",
                    KqlType::Guid => "guid",
                    KqlType::Dynamic => "null",
                },
            };
            ScalarValue::String(name.to_string())
        })
    },
)
.examples(&[Example { query: "print a = gettype(\"a\"), b = gettype(1), c = gettype(dynamic([1])), d = gettype(dynamic({})), e = gettype(1.5), f = gettype(1d)", output: "a,b,c,d,e,f\nstring,long,array,dictionary,real,timespan" }]);

/// A key, or the steps of a JSONPath when it starts with `$`.
fn path_or_key(k: &str) -> Vec<Value> {
    if k.starts_with('$') {
        json_path_steps(k).unwrap_or_default()
    } else {
        vec![Value::String(k.to_string())]
    }
}

fn remove_path(v: &mut Value, steps: &[Value]) {
    match steps {
        [] => {}
        [Value::String(k)] => {
            if let Value::Object(m) = v {
                m.shift_remove(k);
            }
        }
        [Value::String(k), rest @ ..] => {
            if let Some(x) = v.as_object_mut().and_then(|m| m.get_mut(k)) {
                remove_path(x, rest);
            }
        }
        [i, rest @ ..] => {
            if let Some(x) = i
                .as_u64()
                .and_then(|i| v.as_array_mut().and_then(|a| a.get_mut(i as usize)))
            {
                remove_path(x, rest);
            }
        }
    }
}

/// A JSONPath of the form `$.a.b[0]['c']`: its steps.
fn json_path_steps(path: &str) -> Option<Vec<Value>> {
    let mut steps = Vec::new();
    let rest = path.trim().strip_prefix('$')?;
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'.' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && b[j] != b'.' && b[j] != b'[' {
                    j += 1;
                }
                steps.push(Value::String(rest.get(start..j)?.to_string()));
                i = j;
            }
            b'[' => {
                let close = rest.get(i..)?.find(']')? + i;
                let inner = rest.get(i + 1..close)?.trim();
                if let Some(q) = inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
                    steps.push(Value::String(q.to_string()));
                } else if let Some(q) = inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                    steps.push(Value::String(q.to_string()));
                } else {
                    steps.push(Value::from(inner.parse::<i64>().ok()?));
                }
                i = close + 1;
            }
            _ => return None,
        }
    }
    Some(steps)
}

fn extractjson_kernel(ctx: &Ctx, args: &[Arg]) -> Result<ArrayRef, String> {
    let p = strs(args, 0)?;
    let t = strs(args, 1)?;
    let mut b = StringBuilder::with_capacity(ctx.len, ctx.len * 8);
    for i in 0..ctx.len {
        let steps = json_path_steps(sv(p, i))
            .ok_or_else(|| format!("extract_json(): `{}` is not a supported JSONPath", sv(p, i)))?;
        let mut cur: Option<&str> = Some(sv(t, i));
        for s in &steps {
            cur = cur.and_then(|c| match s {
                Value::String(k) => json::member(c, k),
                v => v.as_i64().and_then(|n| json::index(c, n)),
            });
        }
        match cur {
            Some(v) => b.append_value(json::to_plain(v)),
            None => b.append_value(""),
        }
    }
    Ok(Arc::new(b.finish()))
}

static EXTRACTJSON: FunctionDef = FunctionDef::new(
    "extractjson",
    C,
    "extractjson(jsonPath: string, dataSource: string): string",
    "The element at a JSONPath (`$.a.b[0]`, `$['key']`) of JSON text, as a string (\"\" when absent).",
    |a| sig("extractjson", a, 2, &[P::StrS, P::StrS], Str),
    extractjson_kernel,
)
.examples(&[Example { query: "print extractjson(\"$.hosts[1].name\", '{\"hosts\":[{\"name\":\"a\"},{\"name\":\"b\"}]}')", output: "print_0\nb" }]);

static EXTRACT_JSON: FunctionDef = FunctionDef::new(
    "extract_json",
    C,
    "extract_json(jsonPath: string, dataSource: string): string",
    "Same as extractjson.",
    |a| {
        if a.len() == 3 {
            return Err("the third argument of extract_json() must be a type: typeof(long), typeof(string), ...".into());
        }
        sig("extract_json", a, 2, &[P::StrS, P::StrS], Str)
    },
    extractjson_kernel,
);

/// Splits one CSV record (double quotes escape, `""` inside quotes).
pub fn csv_fields(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '"' if quoted && it.peek() == Some(&'"') => {
                cur.push('"');
                it.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            // Only the first record counts.
            '\n' if !quoted => break,
            '\r' if !quoted && it.peek() == Some(&'\n') => break,
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

static PARSE_CSV: FunctionDef = FunctionDef::new(
    "parse_csv",
    C,
    "parse_csv(csv_text: string): dynamic",
    "The fields of one CSV record as a dynamic array of strings.",
    |a| sig("parse_csv", a, 1, &[P::StrS], Dynamic),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            ScalarValue::Dynamic(Value::Array(
                csv_fields(val::str(&r[0])).into_iter().map(Value::String).collect(),
            ))
        })
    },
)
.examples(&[Example { query: "print parse_csv('aa,\"b,b,b\",cc,\"Escaping quotes: \"\"Title\"\"\",\"line1\\nline2\"')", output: "print_0\n\"[\"\"aa\"\",\"\"b,b,b\"\",\"\"cc\"\",\"\"Escaping quotes: \\\"\"Title\\\"\"\"\",\"\"line1\\nline2\"\"]\"" }]);

fn arr_int(r: &[ScalarValue], i: usize) -> Option<i64> {
    r.get(i).and_then(val::long)
}

static RANGE: FunctionDef = FunctionDef::new(
    "range",
    C,
    "range(start, stop, [step]): dynamic",
    "A dynamic array of the values from start to stop (inclusive) by step (default 1); numbers, datetimes or timespans. At most 1,048,576 values.",
    |a| {
        arity("range", a, 2, 3)?;
        let t = crate::typing::common_of("range", &a[..2])?;
        let step = match t {
            KqlType::DateTime | KqlType::TimeSpan => KqlType::TimeSpan,
            KqlType::Int | KqlType::Long => {
                if a.get(2).is_some_and(|x| x.ty == KqlType::Real) {
                    KqlType::Real
                } else {
                    Long
                }
            }
            t if t.is_numeric() => KqlType::Real,
            t => return Err(format!("range() needs numbers, datetimes or timespans, not {t}")),
        };
        let t = if t == KqlType::Int || (step == KqlType::Real && t == Long) {
            if step == KqlType::Real { KqlType::Real } else { Long }
        } else {
            t
        };
        let mut args = vec![t, t];
        if a.len() == 3 {
            args.push(step);
        }
        Ok(Typed { ret: Dynamic, args })
    },
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            const MAX: usize = 1 << 20;
            let mut out = Vec::new();
            match (&r[0], &r[1]) {
                (ScalarValue::Real(a), _) => {
                    let (Some(b), step) = (val::real(&r[1]), r.get(2).map_or(Some(1.0), val::real)) else {
                        return ScalarValue::Null(Dynamic);
                    };
                    let Some(step) = step.filter(|s| *s != 0.0) else { return ScalarValue::Null(Dynamic) };
                    let mut x = *a;
                    while (step > 0.0 && x <= b || step < 0.0 && x >= b) && out.len() < MAX {
                        out.push(to_json(&ScalarValue::Real(x)));
                        x += step;
                    }
                }
                (first, _) => {
                    let (Some(a), Some(b)) = (val::long(first), val::long(&r[1])) else {
                        return ScalarValue::Null(Dynamic);
                    };
                    let default = if matches!(first, ScalarValue::DateTime(_) | ScalarValue::TimeSpan(_)) {
                        kql_common::time::TICKS_PER_HOUR
                    } else {
                        1
                    };
                    let Some(step) = r.get(2).map_or(Some(default), val::long).filter(|s| *s != 0) else {
                        return ScalarValue::Null(Dynamic);
                    };
                    let mut x = a;
                    while (step > 0 && x <= b || step < 0 && x >= b) && out.len() < MAX {
                        let v = match first {
                            ScalarValue::DateTime(_) => ScalarValue::DateTime(x),
                            ScalarValue::TimeSpan(_) => ScalarValue::TimeSpan(x),
                            _ => ScalarValue::Long(x),
                        };
                        out.push(to_json(&v));
                        let Some(n) = x.checked_add(step) else { break };
                        x = n;
                    }
                }
            }
            ScalarValue::Dynamic(Value::Array(out))
        })
    },
)
.examples(&[Example { query: "print a = range(1, 8, 3), b = range(1, 3), c = range(5, 1, -2)", output: "a,b,c\n\"[1,4,7]\",\"[1,2,3]\",\"[5,3,1]\"" }]);

static ARRAY_IFF: FunctionDef = FunctionDef::new(
    "array_iff",
    C,
    "array_iff(condition_array: dynamic, when_true, when_false): dynamic",
    "Element-wise iff: for each condition, the element of when_true or when_false at the same place (scalars apply to every place; missing elements are null).",
    |a| sig("array_iff", a, 3, &[P::Dyn, P::Dyn, P::Dyn], Dynamic),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let Some(conds) = array_arg(r, 0) else { return ScalarValue::Null(Dynamic) };
            let pick = |v: &ScalarValue, i: usize| -> Value {
                match val::json(v) {
                    Some(Value::Array(a)) => a.get(i).cloned().unwrap_or(Value::Null),
                    Some(x) => x.clone(),
                    None => Value::Null,
                }
            };
            let out = conds
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let t = match c {
                        Value::Bool(b) => Some(*b),
                        Value::Number(n) => n.as_f64().map(|x| x != 0.0),
                        _ => None,
                    };
                    match t {
                        Some(true) => pick(&r[1], i),
                        Some(false) => pick(&r[2], i),
                        None => Value::Null,
                    }
                })
                .collect();
            ScalarValue::Dynamic(Value::Array(out))
        })
    },
)
.examples(&[Example { query: "print a = array_iff(dynamic([true, false, true]), dynamic([1, 2, 3]), dynamic([4, 5, 6])), b = array_iff(dynamic([1, 0]), \"yes\", \"no\")", output: "a,b\n\"[1,5,3]\",\"[\"\"yes\"\",\"\"no\"\"]\"" }]);

fn rotate(ctx: &Ctx, args: &[Arg], left: bool) -> Result<ArrayRef, String> {
    rows_ok(ctx, args, |r| {
        let Some(a) = array_arg(r, 0) else {
            return ScalarValue::Null(Dynamic);
        };
        let n = a.len() as i64;
        let mut out = a.clone();
        if n > 0 {
            let k = arr_int(r, 1).unwrap_or(0);
            let k = if left { k } else { -k }.rem_euclid(n) as usize;
            out.rotate_left(k);
        }
        ScalarValue::Dynamic(Value::Array(out))
    })
}

fn shift(ctx: &Ctx, args: &[Arg], left: bool) -> Result<ArrayRef, String> {
    rows_ok(ctx, args, |r| {
        let Some(a) = array_arg(r, 0) else {
            return ScalarValue::Null(Dynamic);
        };
        let fill = r.get(2).map_or(Value::Null, to_json);
        let n = a.len() as i64;
        let k = arr_int(r, 1).unwrap_or(0);
        let k = if left { k } else { -k };
        let out = (0..n)
            .map(|i| {
                let j = i + k;
                if (0..n).contains(&j) {
                    a[j as usize].clone()
                } else {
                    fill.clone()
                }
            })
            .collect();
        ScalarValue::Dynamic(Value::Array(out))
    })
}

static ARRAY_ROTATE_LEFT: FunctionDef = FunctionDef::new(
    "array_rotate_left",
    C,
    "array_rotate_left(array: dynamic, rotate_count: long): dynamic",
    "The array rotated left by rotate_count places (right when negative).",
    |a| sig("array_rotate_left", a, 2, &[P::Dyn, P::Long], Dynamic),
    |ctx, args| rotate(ctx, args, true),
)
.examples(&[Example { query: "print a = array_rotate_left(dynamic([1,2,3,4,5]), 2), b = array_rotate_left(dynamic([1,2,3,4,5]), -2)", output: "a,b\n\"[3,4,5,1,2]\",\"[4,5,1,2,3]\"" }]);

static ARRAY_ROTATE_RIGHT: FunctionDef = FunctionDef::new(
    "array_rotate_right",
    C,
    "array_rotate_right(array: dynamic, rotate_count: long): dynamic",
    "The array rotated right by rotate_count places (left when negative).",
    |a| sig("array_rotate_right", a, 2, &[P::Dyn, P::Long], Dynamic),
    |ctx, args| rotate(ctx, args, false),
)
.examples(&[Example {
    query: "print array_rotate_right(dynamic([1,2,3,4,5]), 2)",
    output: "print_0\n\"[4,5,1,2,3]\"",
}]);

static ARRAY_SHIFT_LEFT: FunctionDef = FunctionDef::new(
    "array_shift_left",
    C,
    "array_shift_left(array: dynamic, shift_count: long, [fill_value]): dynamic",
    "The array shifted left by shift_count places, filling with fill_value (null by default); negative counts shift right.",
    |a| sig("array_shift_left", a, 2, &[P::Dyn, P::Long, P::Any], Dynamic),
    |ctx, args| shift(ctx, args, true),
)
.examples(&[Example { query: "print a = array_shift_left(dynamic([1,2,3,4,5]), 2), b = array_shift_left(dynamic([1,2,3,4,5]), -2, -1)", output: "a,b\n\"[3,4,5,null,null]\",\"[-1,-1,1,2,3]\"" }]);

static ARRAY_SHIFT_RIGHT: FunctionDef = FunctionDef::new(
    "array_shift_right",
    C,
    "array_shift_right(array: dynamic, shift_count: long, [fill_value]): dynamic",
    "The array shifted right by shift_count places, filling with fill_value (null by default); negative counts shift left.",
    |a| sig("array_shift_right", a, 2, &[P::Dyn, P::Long, P::Any], Dynamic),
    |ctx, args| shift(ctx, args, false),
)
.examples(&[Example { query: "print array_shift_right(dynamic([1,2,3,4,5]), 2, -1)", output: "print_0\n\"[-1,-1,1,2,3]\"" }]);

static ARRAY_SPLIT: FunctionDef = FunctionDef::new(
    "array_split",
    C,
    "array_split(array: dynamic, indices: long | dynamic): dynamic",
    "The array cut into pieces before each of the indices (negative from the end).",
    |a| sig("array_split", a, 2, &[P::Dyn, P::Dyn], Dynamic),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let Some(a) = array_arg(r, 0) else { return ScalarValue::Null(Dynamic) };
            let n = a.len() as i64;
            let idx: Vec<i64> = match val::json(&r[1]) {
                Some(Value::Array(v)) => v.iter().filter_map(Value::as_i64).collect(),
                Some(Value::Number(x)) => x.as_i64().into_iter().collect(),
                _ => vec![],
            };
            let mut cuts: Vec<usize> = idx
                .into_iter()
                .map(|i| (if i < 0 { n + i } else { i }).clamp(0, n) as usize)
                .collect();
            cuts.push(a.len());
            let mut out = Vec::new();
            let mut from = 0;
            for c in cuts {
                let c = c.max(from);
                out.push(Value::Array(a[from..c].to_vec()));
                from = c;
            }
            ScalarValue::Dynamic(Value::Array(out))
        })
    },
)
.examples(&[Example { query: "print a = array_split(dynamic([1,2,3,4,5]), 2), b = array_split(dynamic([1,2,3,4,5]), dynamic([1,3]))", output: "a,b\n\"[[1,2],[3,4,5]]\",\"[[1],[2,3],[4,5]]\"" }]);

fn set_path(v: &mut Value, steps: &[Value], new: Value) {
    match steps {
        [] => *v = new,
        [Value::String(k), rest @ ..] => {
            if !v.is_object() {
                *v = Value::Object(Map::new());
            }
            if let Value::Object(m) = v {
                let e = m.entry(k.clone()).or_insert(Value::Null);
                set_path(e, rest, new);
            }
        }
        [i, rest @ ..] => {
            if let Some(x) = i
                .as_u64()
                .and_then(|i| v.as_array_mut().and_then(|a| a.get_mut(i as usize)))
            {
                set_path(x, rest, new);
            }
        }
    }
}

static BAG_SET_KEY: FunctionDef = FunctionDef::new(
    "bag_set_key",
    C,
    "bag_set_key(bag: dynamic, key: string, value): dynamic",
    "The bag with the key (or JSONPath) set to the value, adding missing levels.",
    |a| sig("bag_set_key", a, 3, &[P::Dyn, P::StrS, P::Any], Dynamic),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let Some(bag @ Value::Object(_)) = dyn_arg(r, 0) else { return ScalarValue::Null(Dynamic) };
            let mut bag = bag.clone();
            set_path(&mut bag, &path_or_key(val::str(&r[1])), to_json(&r[2]));
            ScalarValue::Dynamic(bag)
        })
    },
)
.examples(&[Example { query: "print a = bag_set_key(dynamic({'key1': 1}), 'key3', 3), b = bag_set_key(dynamic({'key1': 123}), '$.key2.prop1', 'abc')", output: "a,b\n\"{\"\"key1\"\":1,\"\"key3\"\":3}\",\"{\"\"key1\"\":123,\"\"key2\"\":{\"\"prop1\"\":\"\"abc\"\"}}\"" }]);

static BAG_ZIP: FunctionDef = FunctionDef::new(
    "bag_zip",
    C,
    "bag_zip(keys: dynamic, values: dynamic): dynamic",
    "A bag from an array of keys and an array of values (string keys only; missing values are null); null when keys is not an array.",
    |a| sig("bag_zip", a, 2, &[P::Dyn, P::Dyn], Dynamic),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let Some(keys) = array_arg(r, 0) else { return ScalarValue::Null(Dynamic) };
            let vals: &[Value] = match dyn_arg(r, 1) {
                Some(Value::Array(v)) => v,
                _ => &[],
            };
            let mut m = Map::new();
            for (i, k) in keys.iter().enumerate() {
                if let Some(k) = k.as_str() {
                    m.insert(k.to_string(), vals.get(i).cloned().unwrap_or(Value::Null));
                }
            }
            ScalarValue::Dynamic(Value::Object(m))
        })
    },
)
.examples(&[Example { query: "print bag_zip(dynamic(['a', 8, 'b']), dynamic([1, '2', 2.5]))", output: "print_0\n\"{\"\"a\"\":1,\"\"b\"\":2.5}\"" }]);

static JACCARD_INDEX: FunctionDef = FunctionDef::new(
    "jaccard_index",
    C,
    "jaccard_index(set1: dynamic, set2: dynamic): real",
    "The Jaccard index of two arrays taken as sets (duplicates ignored): the size of their intersection over the size of their union. Null when an argument is not an array; NaN when both are empty.",
    |a| sig("jaccard_index", a, 2, &[P::Dyn, P::Dyn], KqlType::Real),
    |ctx, args| {
        rows_ok(ctx, args, |r| match (array_arg(r, 0), array_arg(r, 1)) {
            (Some(a), Some(b)) => {
                let mut union = Vec::new();
                push_distinct(&mut union, a);
                let n1 = union.len();
                push_distinct(&mut union, b);
                let mut distinct_b = Vec::new();
                push_distinct(&mut distinct_b, b);
                let inter = n1 + distinct_b.len() - union.len();
                ScalarValue::Real(inter as f64 / union.len() as f64)
            }
            _ => ScalarValue::Null(KqlType::Real),
        })
    },
)
.examples(&[Example {
    query: "print a = jaccard_index(dynamic([1, 2, 3]), dynamic([1, 2, 3, 4])), b = jaccard_index(dynamic([1, 1, 2]), dynamic([\"1\", 2])), c = jaccard_index(dynamic([]), dynamic([])), d = jaccard_index(dynamic(null), dynamic([1]))",
    output: "a,b,c,d\n0.75,0.3333333333333333,NaN,",
}]);

static PACK_ALL: FunctionDef = FunctionDef::new(
    "pack_all",
    C,
    "pack_all([ignore_null_empty: bool]): dynamic",
    "A property bag of every column of the input row, keyed by column name; with ignore_null_empty true, columns that are null or the empty string are left out.",
    // The planner passes the flag, then a key and a value per column.
    |a| {
        let Some((first, rest)) = a.split_first() else {
            return Err("pack_all() needs its columns".into());
        };
        if !matches!(first.ty, KqlType::Bool | KqlType::Dynamic) {
            return Err(format!("argument 1 of pack_all() must be bool, not {}", first.ty));
        }
        let mut t = bag_pack_typing("pack_all", rest)?;
        t.args.insert(0, KqlType::Bool);
        Ok(t)
    },
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            let skip = matches!(r.first(), Some(ScalarValue::Bool(true)));
            let mut m = Map::new();
            for pair in r[1..].chunks(2) {
                if let [k, v] = pair {
                    let empty = match v {
                        ScalarValue::Null(_) => true,
                        ScalarValue::String(s) => s.is_empty(),
                        ScalarValue::Dynamic(d) => d.is_null(),
                        _ => false,
                    };
                    if !(skip && empty) {
                        m.insert(val::str(k).to_string(), to_json(v));
                    }
                }
            }
            ScalarValue::Dynamic(Value::Object(m))
        })
    },
)
.examples(&[Example {
    query: "datatable(Source: string, Target: string, CharsCount: long) ['555-1234', '555-1212', 46, '555-1313', '', 42, '', '555-3456', long(null)]\n| extend Packed = pack_all(), PackedIgnoreNullEmpty = pack_all(true)",
    output: "Source,Target,CharsCount,Packed,PackedIgnoreNullEmpty\n555-1234,555-1212,46,\"{\"\"Source\"\":\"\"555-1234\"\",\"\"Target\"\":\"\"555-1212\"\",\"\"CharsCount\"\":46}\",\"{\"\"Source\"\":\"\"555-1234\"\",\"\"Target\"\":\"\"555-1212\"\",\"\"CharsCount\"\":46}\"\n555-1313,,42,\"{\"\"Source\"\":\"\"555-1313\"\",\"\"Target\"\":\"\"\"\",\"\"CharsCount\"\":42}\",\"{\"\"Source\"\":\"\"555-1313\"\",\"\"CharsCount\"\":42}\"\n,555-3456,,\"{\"\"Source\"\":\"\"\"\",\"\"Target\"\":\"\"555-3456\"\",\"\"CharsCount\"\":null}\",\"{\"\"Target\"\":\"\"555-3456\"\"}\"",
}]);

static BAG_PACK_COLUMNS: FunctionDef = FunctionDef::new(
    "bag_pack_columns",
    C,
    "bag_pack_columns(column1, column2, ...): dynamic",
    "A property bag of the given columns, keyed by column name (the arguments must be columns of the input).",
    // The planner passes a key and a value per column.
    |a| bag_pack_typing("bag_pack_columns", a),
    bag_pack_kernel,
)
.examples(&[Example {
    query: "datatable(Id: string, Value: string, Other: long) [\"A\", \"val_a\", 1, \"B\", \"val_b\", 2]\n| extend Packed = bag_pack_columns(Id, Value)",
    output: "Id,Value,Other,Packed\nA,val_a,1,\"{\"\"Id\"\":\"\"A\"\",\"\"Value\"\":\"\"val_a\"\"}\"\nB,val_b,2,\"{\"\"Id\"\":\"\"B\"\",\"\"Value\"\":\"\"val_b\"\"}\"",
}]);

static COLUMN_NAMES_OF: FunctionDef = FunctionDef::new(
    "column_names_of",
    C,
    "column_names_of(table): dynamic",
    "The column names of a tabular expression (a table, a tabular `let` or a call of a function that returns a table), as a dynamic array; known while planning.",
    // The planner passes the names as one constant array.
    |a| sig("column_names_of", a, 1, &[P::Dyn], Dynamic),
    |_, args| Ok(arg(args, 0)?.array.clone()),
)
.examples(&[Example {
    query: "let T = datatable(A: string, B: int) [];\nlet F = () { print A = \"\", B = 1, C = now() };\nprint Columns = column_names_of(T), Other = column_names_of(F())",
    output: "Columns,Other\n\"[\"\"A\"\",\"\"B\"\"]\",\"[\"\"A\"\",\"\"B\"\",\"\"C\"\"]\"",
}]);

/// The estimated size in bytes of one value: 8 for longs, reals (and
/// decimals), datetimes and timespans, 4 for ints, 1 for bools, 16 for
/// GUIDs, the UTF-8 length of strings and of dynamic values' JSON text;
/// 0 for nulls.
fn value_size(v: &ScalarValue) -> i64 {
    match v {
        ScalarValue::Null(_) => 0,
        ScalarValue::Bool(_) => 1,
        ScalarValue::Int(_) => 4,
        ScalarValue::Long(_)
        | ScalarValue::Real(_)
        | ScalarValue::DateTime(_)
        | ScalarValue::TimeSpan(_) => 8,
        ScalarValue::Guid(_) => 16,
        ScalarValue::String(s) => s.len() as i64,
        ScalarValue::Dynamic(d) => d.to_string().len() as i64,
    }
}

static ESTIMATE_DATA_SIZE: FunctionDef = FunctionDef::new(
    "estimate_data_size",
    C,
    "estimate_data_size(column1, ... | *): long",
    "An estimate of the size in bytes of the given columns of the row (`*` for all): 8 per long, real, decimal, datetime or timespan, 4 per int, 1 per bool, 16 per guid, the UTF-8 length of strings and of dynamic values' JSON text; nulls count 0.",
    |a| {
        crate::typing::arity("estimate_data_size", a, 1, usize::MAX)?;
        Ok(Typed { ret: Long, args: a.iter().map(|x| x.ty).collect() })
    },
    |ctx, args| rows_ok(ctx, args, |r| ScalarValue::Long(r.iter().map(value_size).sum())),
)
.notes("Kusto estimates from its own storage layout; the sizes here follow the documented example (a long is 8 bytes, a string its length).")
.examples(&[Example {
    query: "range x from 1 to 10 step 1\n| extend Text = '1234567890'\n| summarize Total = sum(estimate_data_size(*)), JustText = sum(estimate_data_size(Text))",
    output: "Total,JustText\n180,100",
}]);
