//! Discord's rules that the emulator enforces: message and embed limits, component and modal
//! limits, and mentions that would ping because allowed_mentions does not forbid them.

use serde_json::{json, Value};

/// One broken rule in a request body, as Discord's 50035 "Invalid Form Body" reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// Dotted path in the request body, e.g. `embeds.0.description`.
    pub path: String,
    pub message: String,
}

fn err(path: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        path: path.into(),
        message: message.into(),
    }
}

fn chars(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

fn check_len(errors: &mut Vec<FieldError>, v: &Value, path: &str, max: usize) {
    let n = chars(v);
    if n > max {
        errors.push(err(
            path,
            format!("Must be {max} or fewer in length (got {n})."),
        ));
    }
}

/// Limits of a message body (create, edit, followup, callback types 4 and 7).
pub fn validate_message(body: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check_len(&mut errors, &body["content"], "content", 2000);
    if let Some(embeds) = body["embeds"].as_array() {
        if embeds.len() > 10 {
            errors.push(err(
                "embeds",
                format!("Must be 10 or fewer in length (got {}).", embeds.len()),
            ));
        }
        let mut total = 0;
        for (i, e) in embeds.iter().enumerate() {
            let p = |f: &str| format!("embeds.{i}.{f}");
            check_len(&mut errors, &e["title"], &p("title"), 256);
            check_len(&mut errors, &e["description"], &p("description"), 4096);
            check_len(&mut errors, &e["footer"]["text"], &p("footer.text"), 2048);
            check_len(&mut errors, &e["author"]["name"], &p("author.name"), 256);
            total += chars(&e["title"])
                + chars(&e["description"])
                + chars(&e["footer"]["text"])
                + chars(&e["author"]["name"]);
            if let Some(fields) = e["fields"].as_array() {
                if fields.len() > 25 {
                    errors.push(err(
                        p("fields"),
                        format!("Must be 25 or fewer in length (got {}).", fields.len()),
                    ));
                }
                for (j, f) in fields.iter().enumerate() {
                    check_len(
                        &mut errors,
                        &f["name"],
                        &p(&format!("fields.{j}.name")),
                        256,
                    );
                    check_len(
                        &mut errors,
                        &f["value"],
                        &p(&format!("fields.{j}.value")),
                        1024,
                    );
                    if chars(&f["name"]) == 0 || chars(&f["value"]) == 0 {
                        errors.push(err(
                            p(&format!("fields.{j}")),
                            "Field name and value are required.",
                        ));
                    }
                    total += chars(&f["name"]) + chars(&f["value"]);
                }
            }
        }
        if total > 6000 {
            errors.push(err(
                "embeds",
                format!("Embed size exceeds maximum size of 6000 (got {total})."),
            ));
        }
    }
    validate_components(&body["components"], "components", &mut errors);
    errors
}

/// Action rows, buttons and select menus.
pub fn validate_components(components: &Value, path: &str, errors: &mut Vec<FieldError>) {
    let Some(rows) = components.as_array() else {
        return;
    };
    if rows.len() > 5 {
        errors.push(err(
            path,
            format!("Must be 5 or fewer in length (got {}).", rows.len()),
        ));
    }
    for (i, row) in rows.iter().enumerate() {
        let row_path = format!("{path}.{i}");
        let Some(children) = row["components"].as_array() else {
            if row["type"] != json!(1) {
                errors.push(err(&row_path, "Top-level components must be action rows."));
            }
            continue;
        };
        if children.len() > 5 {
            errors.push(err(
                format!("{row_path}.components"),
                format!("Must be 5 or fewer in length (got {}).", children.len()),
            ));
        }
        for (j, c) in children.iter().enumerate() {
            let p = format!("{row_path}.components.{j}");
            check_len(errors, &c["custom_id"], &format!("{p}.custom_id"), 100);
            check_len(errors, &c["label"], &format!("{p}.label"), 80);
            check_len(errors, &c["placeholder"], &format!("{p}.placeholder"), 150);
            if let Some(options) = c["options"].as_array() {
                if options.len() > 25 {
                    errors.push(err(
                        format!("{p}.options"),
                        format!("Must be 25 or fewer in length (got {}).", options.len()),
                    ));
                }
                for (k, o) in options.iter().enumerate() {
                    check_len(errors, &o["label"], &format!("{p}.options.{k}.label"), 100);
                    check_len(errors, &o["value"], &format!("{p}.options.{k}.value"), 100);
                    check_len(
                        errors,
                        &o["description"],
                        &format!("{p}.options.{k}.description"),
                        100,
                    );
                }
            }
            // Text inputs (modals).
            if c["type"] == json!(4) {
                check_len(errors, &c["label"], &format!("{p}.label"), 45);
                check_len(errors, &c["value"], &format!("{p}.value"), 4000);
                if let Some(max) = c["max_length"].as_u64() {
                    if max > 4000 {
                        errors.push(err(
                            format!("{p}.max_length"),
                            format!("int value should be less than or equal to 4000 (got {max})."),
                        ));
                    }
                }
            }
        }
    }
}

/// A modal (callback type 9).
pub fn validate_modal(data: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check_len(&mut errors, &data["title"], "data.title", 45);
    check_len(&mut errors, &data["custom_id"], "data.custom_id", 100);
    if chars(&data["custom_id"]) == 0 {
        errors.push(err("data.custom_id", "This field is required"));
    }
    validate_components(&data["components"], "data.components", &mut errors);
    errors
}

/// Autocomplete choices (callback type 8).
pub fn validate_choices(data: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(choices) = data["choices"].as_array() {
        if choices.len() > 25 {
            errors.push(err(
                "data.choices",
                format!("Must be 25 or fewer in length (got {}).", choices.len()),
            ));
        }
        for (i, c) in choices.iter().enumerate() {
            check_len(
                &mut errors,
                &c["name"],
                &format!("data.choices.{i}.name"),
                100,
            );
            if chars(&c["value"]) > 100 {
                errors.push(err(
                    format!("data.choices.{i}.value"),
                    "Must be 100 or fewer in length.",
                ));
            }
        }
    }
    errors
}

/// What a mention would ping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ping {
    Everyone,
    Here,
    User(u64),
    Role(u64),
}

/// Ids in `<@id>` / `<@!id>` mentions.
pub fn mentioned_user_ids(text: &str) -> Vec<u64> {
    mentions_with_prefix(text, "<@")
        .into_iter()
        .filter_map(|(tail, id)| (!tail).then_some(id))
        .collect()
}

/// Ids in `<@&id>` mentions.
pub fn mentioned_role_ids(text: &str) -> Vec<u64> {
    mentions_with_prefix(text, "<@")
        .into_iter()
        .filter_map(|(role, id)| role.then_some(id))
        .collect()
}

/// Scans `<@…>` mentions; returns (is_role, id).
fn mentions_with_prefix(text: &str, prefix: &str) -> Vec<(bool, u64)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(prefix) {
        let after = &rest[start + prefix.len()..];
        let (is_role, digits_start) = match after.chars().next() {
            Some('&') => (true, 1),
            Some('!') => (false, 1),
            _ => (false, 0),
        };
        let tail = &after[digits_start..];
        let digits: String = tail.chars().take_while(|c| c.is_ascii_digit()).collect();
        if !digits.is_empty() && tail[digits.len()..].starts_with('>') {
            if let Ok(id) = digits.parse() {
                if !out.contains(&(is_role, id)) {
                    out.push((is_role, id));
                }
            }
        }
        rest = after;
    }
    out
}

/// Every ping the text contains.
pub fn pings_in(text: &str) -> Vec<Ping> {
    let mut out = Vec::new();
    if text.contains("@everyone") {
        out.push(Ping::Everyone);
    }
    if text.contains("@here") {
        out.push(Ping::Here);
    }
    out.extend(mentioned_user_ids(text).into_iter().map(Ping::User));
    out.extend(mentioned_role_ids(text).into_iter().map(Ping::Role));
    out
}

/// All the text of a message body where a mention could sit: content and embed texts.
pub fn texts_of(body: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(c) = body["content"].as_str() {
        out.push(("content".to_string(), c.to_string()));
    }
    if let Some(embeds) = body["embeds"].as_array() {
        for (i, e) in embeds.iter().enumerate() {
            for f in ["title", "description"] {
                if let Some(t) = e[f].as_str() {
                    out.push((format!("embeds.{i}.{f}"), t.to_string()));
                }
            }
            if let Some(t) = e["footer"]["text"].as_str() {
                out.push((format!("embeds.{i}.footer.text"), t.to_string()));
            }
            if let Some(fields) = e["fields"].as_array() {
                for (j, f) in fields.iter().enumerate() {
                    for k in ["name", "value"] {
                        if let Some(t) = f[k].as_str() {
                            out.push((format!("embeds.{i}.fields.{j}.{k}"), t.to_string()));
                        }
                    }
                }
            }
        }
    }
    out
}

/// Whether `allowed_mentions` lets this ping through, and whether it named it explicitly.
/// Absent allowed_mentions means Discord's default: everything pings.
pub fn ping_allowed(allowed: Option<&Value>, ping: &Ping) -> (bool, bool) {
    let Some(allowed) = allowed.filter(|a| !a.is_null()) else {
        return (true, false);
    };
    let parse: Vec<&str> = allowed["parse"]
        .as_array()
        .map_or(Vec::new(), |p| p.iter().filter_map(Value::as_str).collect());
    let listed = |key: &str, id: u64| {
        allowed[key].as_array().is_some_and(|ids| {
            ids.iter()
                .any(|v| v.as_str() == Some(&id.to_string()) || v.as_u64() == Some(id))
        })
    };
    match ping {
        Ping::Everyone | Ping::Here => (parse.contains(&"everyone"), false),
        Ping::User(id) => {
            let named = listed("users", *id);
            (parse.contains(&"users") || named, named)
        }
        Ping::Role(id) => {
            let named = listed("roles", *id);
            (parse.contains(&"roles") || named, named)
        }
    }
}
