//! Scenario text <-> an R list mirroring it, in the file's order (toml_edit keeps it; the
//! `toml` crate's tables are sorted).
//!
//! Tables are named lists and arrays of tables unnamed lists of them. Other arrays are atomic
//! vectors of class `AsIs` (R's `I()`), which is what keeps a one-element array an array on
//! the way back: an R vector of length one is otherwise a single value. On the way back,
//! whole numbers are written as TOML integers (R's numbers are doubles; the scenario reader
//! takes an integer wherever a real is expected, not the reverse) and NULL entries are left
//! out, so `modifyList(s, list(key = NULL))` removes a key.

use extendr_api::prelude::*;
use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, Value};

type Outcome<T> = std::result::Result<T, String>;

pub fn to_list(text: &str) -> Outcome<Robj> {
    let doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| e.to_string())?;
    Ok(table_list(
        doc.as_table().iter().map(|(k, item)| (k, item_robj(item))),
    ))
}

fn table_list<'a>(entries: impl Iterator<Item = (&'a str, Robj)>) -> Robj {
    let (names, values): (Vec<&str>, Vec<Robj>) = entries.unzip();
    let mut list: Robj = List::from_values(values).into();
    // An empty table keeps its (empty) names: it is a table, not an array, on the way back.
    list.set_names(names).expect("as many names as values");
    list
}

fn item_robj(item: &Item) -> Robj {
    match item {
        Item::None => Robj::from(()),
        Item::Value(v) => value_robj(v),
        Item::Table(t) => table_list(t.iter().map(|(k, item)| (k, item_robj(item)))),
        Item::ArrayOfTables(a) => List::from_values(
            a.iter()
                .map(|t| table_list(t.iter().map(|(k, item)| (k, item_robj(item)))))
                .collect::<Vec<_>>(),
        )
        .into(),
    }
}

fn value_robj(v: &Value) -> Robj {
    match v {
        Value::String(s) => Robj::from(s.value().as_str()),
        Value::Integer(i) => integer_robj(&[*i.value()]),
        Value::Float(f) => Robj::from(*f.value()),
        Value::Boolean(b) => Robj::from(*b.value()),
        Value::Datetime(d) => Robj::from(d.value().to_string()),
        Value::InlineTable(t) => table_list(t.iter().map(|(k, v)| (k, value_robj(v)))),
        Value::Array(a) => array_robj(a),
    }
}

/// Integers as R integers where every one fits, else as doubles (exact to 2^53).
fn integer_robj(values: &[i64]) -> Robj {
    match values
        .iter()
        .map(|&i| i32::try_from(i))
        .collect::<std::result::Result<Vec<_>, _>>()
    {
        Ok(small) if !small.contains(&i32::MIN) => Robj::from(small),
        _ => Robj::from(values.iter().map(|&i| i as f64).collect::<Vec<_>>()),
    }
}

fn array_robj(a: &Array) -> Robj {
    let values: Vec<&Value> = a.iter().collect();
    let all = |f: fn(&Value) -> bool| !values.is_empty() && values.iter().all(|v| f(v));
    let mut atomic = if all(|v| v.is_integer()) {
        integer_robj(
            &values
                .iter()
                .filter_map(|v| v.as_integer())
                .collect::<Vec<_>>(),
        )
    } else if all(|v| v.is_integer() || v.is_float()) {
        let reals = values
            .iter()
            .map(|v| v.as_float().or(v.as_integer().map(|i| i as f64)));
        Robj::from(reals.collect::<Vec<_>>())
    } else if all(|v| v.is_str()) {
        Robj::from(values.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>())
    } else if all(|v| v.is_bool()) {
        Robj::from(
            values
                .iter()
                .filter_map(|v| v.as_bool())
                .collect::<Vec<_>>(),
        )
    } else {
        // Tables, arrays of arrays, mixed kinds, empty: a list, which is an array on the way
        // back without a mark.
        return List::from_values(values.iter().map(|v| value_robj(v))).into();
    };
    atomic.set_class(["AsIs"]).expect("a class on a vector");
    atomic
}

pub fn to_toml(x: &Robj) -> Outcome<String> {
    let Item::Table(table) = item(x, "")? else {
        return Err("a scenario must be a named list (one name per top-level key)".into());
    };
    let mut doc = DocumentMut::new();
    *doc.as_table_mut() = table;
    Ok(doc.to_string())
}

/// `x` as a TOML item at key path `key` (for messages).
fn item(x: &Robj, key: &str) -> Outcome<Item> {
    if let Some(list) = x.as_list() {
        if let Some(names) = x.names() {
            let mut table = Table::new();
            for (name, value) in names.zip(list.values()) {
                let path = join(key, name);
                if name.is_empty() || name == "NA" {
                    return Err(format!("{}: an entry without a name", or_top(key)));
                }
                if !value.is_null() {
                    table.insert(name, item(&value, &path)?);
                }
            }
            return Ok(Item::Table(table));
        }
        let elements: Vec<Robj> = list.values().collect();
        if !elements.is_empty()
            && elements
                .iter()
                .all(|e| e.as_list().is_some() && e.names().is_some())
        {
            let mut tables = ArrayOfTables::new();
            for (i, e) in elements.iter().enumerate() {
                match item(e, &format!("{key}[{}]", i + 1))? {
                    Item::Table(t) => tables.push(t),
                    _ => unreachable!("a named list is a table"),
                }
            }
            return Ok(Item::ArrayOfTables(tables));
        }
        let mut array = Array::new();
        for (i, e) in elements.iter().enumerate() {
            array.push(value(e, &format!("{key}[{}]", i + 1))?);
        }
        return Ok(Item::Value(Value::Array(array)));
    }
    Ok(Item::Value(value(x, key)?))
}

/// `x` as a TOML value (inside an array, tables are inline).
fn value(x: &Robj, key: &str) -> Outcome<Value> {
    if x.as_list().is_some() {
        return match item(x, key)? {
            Item::Value(v) => Ok(v),
            Item::Table(t) => Ok(Value::InlineTable(t.into_inline_table())),
            Item::ArrayOfTables(a) => Ok(Value::Array(a.into_array())),
            Item::None => unreachable!("item() never returns None"),
        };
    }
    let mut scalars = scalars(x, key)?;
    if scalars.len() == 1 && !x.inherits("AsIs") {
        return Ok(scalars.remove(0));
    }
    Ok(Value::Array(scalars.into_iter().collect()))
}

fn scalars(x: &Robj, key: &str) -> Outcome<Vec<Value>> {
    let na = || format!("{}: NA is not a value a scenario can hold", or_top(key));
    if x.inherits("factor") {
        return Err(format!(
            "{}: a factor; give its labels (as.character)",
            or_top(key)
        ));
    }
    if let Some(reals) = x.as_real_slice() {
        return reals
            .iter()
            .map(|&r| {
                if r.is_nan() {
                    Err(na())
                } else if r.fract() == 0.0 && r.abs() <= 2f64.powi(53) {
                    Ok(Value::from(r as i64))
                } else {
                    Ok(Value::from(r))
                }
            })
            .collect();
    }
    if let Some(integers) = x.as_integer_slice() {
        return integers
            .iter()
            .map(|&i| {
                if i == i32::MIN {
                    Err(na())
                } else {
                    Ok(Value::from(i64::from(i)))
                }
            })
            .collect();
    }
    if let Some(logicals) = x.as_logical_slice() {
        return logicals
            .iter()
            .map(|b| {
                if b.is_na() {
                    Err(na())
                } else {
                    Ok(Value::from(b.is_true()))
                }
            })
            .collect();
    }
    if let Some(strings) = x.as_str_iter() {
        return strings
            .map(|s| {
                if s.is_na() {
                    Err(na())
                } else {
                    Ok(Value::from(s))
                }
            })
            .collect();
    }
    Err(format!(
        "{}: a value of R type {:?}; expected a number, a string, TRUE/FALSE, a vector or a list",
        or_top(key),
        x.rtype()
    ))
}

fn join(key: &str, name: &str) -> String {
    if key.is_empty() {
        name.to_string()
    } else {
        format!("{key}.{name}")
    }
}

fn or_top(key: &str) -> String {
    if key.is_empty() {
        "the scenario".into()
    } else {
        format!("key `{key}`")
    }
}
