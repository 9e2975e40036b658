//! Slash command options checked against what the bot registered, before poise parses them.
//!
//! Discord enforces `min`/`max`, lengths and choices in its client, but an outdated client (a
//! command registered differently before), another client or a crafted request can send
//! anything. Unchecked, an out-of-range number is either used as is (a `count` of 0) or fails
//! poise's parsing, which answers nobody: the person sees "The application did not respond".
//! This check runs as poise's global `command_check`, so every command gets the same clear
//! answer through [`super::data::on_error`].

use poise::serenity_prelude as serenity;
use serde_json::Value;

use super::data::{Context, Data, Error};

/// poise's global command check: `Err(User)` names the first option that is not what the
/// command registered. Autocomplete is not checked: a half-typed value is what it is for.
pub async fn check(ctx: Context<'_>) -> Result<bool, Error> {
    let poise::Context::Application(app) = ctx else {
        return Ok(true);
    };
    if app.interaction_type == poise::CommandInteractionType::Autocomplete {
        return Ok(true);
    }
    match first_problem(app.command(), app.args) {
        Some(problem) => Err(Error::user(problem)),
        None => Ok(true),
    }
}

/// Said when the options do not fit the command at all: the person's Discord knows an older
/// version of it.
pub const OUTDATED: &str = "Discord may be showing you an older version of this command: \
    reload Discord (Ctrl+R, or restart the app) and try again.";

fn first_problem(
    command: &poise::Command<std::sync::Arc<Data>, Error>,
    args: &[serenity::ResolvedOption<'_>],
) -> Option<String> {
    args.iter().find_map(|arg| {
        let Some(parameter) = command.parameters.iter().find(|p| p.name == arg.name) else {
            return Some(format!(
                "`/{}` has no option `{}`. {OUTDATED}",
                command.qualified_name,
                shown(arg.name, 40)
            ));
        };
        let definition = parameter
            .create_as_slash_command_option()
            .and_then(|option| serde_json::to_value(option).ok())
            .unwrap_or(Value::Null);
        problem(arg.name, &definition, &arg.value)
    })
}

/// What is wrong with one option's value, given its registered definition.
fn problem(name: &str, definition: &Value, value: &serenity::ResolvedValue<'_>) -> Option<String> {
    use serenity::ResolvedValue as V;
    let expected = definition["type"].as_u64();
    let choices = definition["choices"].as_array().filter(|c| !c.is_empty());
    match value {
        V::Integer(n) if expected == Some(4) => match choices {
            Some(choices) => {
                (!choices.iter().any(|c| c["value"].as_i64() == Some(*n))).then(|| {
                    format!("`{name}`: that is not one of the choices; pick one from the list.")
                })
            }
            None => {
                // Bounds are registered as JSON numbers that may be floats (`1.0`).
                let bound = |key: &str| definition[key].as_f64().map(|b| b as i64);
                let (min, max) = (bound("min_value"), bound("max_value"));
                let below = min.is_some_and(|min| *n < min);
                let above = max.is_some_and(|max| *n > max);
                (below || above).then(|| match (min, max) {
                    (Some(min), Some(max)) => {
                        format!("`{name}` must be a whole number from {min} to {max}, not {n}.")
                    }
                    (Some(min), None) => format!("`{name}` must be at least {min}, not {n}."),
                    _ => format!("`{name}` must be at most {}, not {n}.", max.unwrap_or(0)),
                })
            }
        },
        V::String(text) if expected == Some(3) && choices.is_none() => {
            let length = text.chars().count();
            let max = definition["max_length"].as_u64().unwrap_or(6000);
            let min = definition["min_length"].as_u64().unwrap_or(0);
            if length as u64 > max {
                Some(format!(
                    "`{name}` can be at most {max} characters long; yours has {length}."
                ))
            } else if (length as u64) < min {
                Some(format!(
                    "`{name}` needs at least {min} characters; yours has {length}."
                ))
            } else {
                None
            }
        }
        V::Channel(channel) if expected == Some(7) => {
            let allowed: Vec<u64> = definition["channel_types"]
                .as_array()
                .map(|kinds| kinds.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default();
            let kind = u64::from(u8::from(channel.kind));
            (!allowed.is_empty() && !allowed.contains(&kind))
                .then(|| format!("`{name}`: pick a text channel."))
        }
        V::Role(_) if expected == Some(8) => None,
        V::Boolean(_) if expected == Some(5) => None,
        V::Number(_) if expected == Some(10) => None,
        V::User(..) if expected == Some(6) => None,
        V::Attachment(_) if expected == Some(11) => None,
        V::Unresolved(_) => Some(format!(
            "`{name}`: I can't find that here; pick one from the list Discord offers."
        )),
        _ => Some(format!(
            "`{name}` is not the kind of value this command expects. {OUTDATED}"
        )),
    }
}

/// A user-supplied name, shortened for a reply.
fn shown(text: &str, max: usize) -> String {
    super::limits::truncate(text, max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(definition: Value, value: serenity::ResolvedValue<'_>) -> Option<String> {
        problem("x", &definition, &value)
    }

    #[test]
    fn numbers_outside_the_registered_range_name_the_range() {
        let count = json!({"type": 4, "min_value": 1.0, "max_value": 25.0});
        let answer = check(count.clone(), serenity::ResolvedValue::Integer(0));
        assert_eq!(
            answer.as_deref(),
            Some("`x` must be a whole number from 1 to 25, not 0.")
        );
        assert!(check(count.clone(), serenity::ResolvedValue::Integer(26)).is_some());
        assert!(check(count.clone(), serenity::ResolvedValue::Integer(i64::MIN)).is_some());
        assert_eq!(check(count, serenity::ResolvedValue::Integer(25)), None);
    }

    #[test]
    fn choices_are_checked_by_value() {
        let lp =
            json!({"type": 4, "choices": [{"name": "a", "value": 0}, {"name": "b", "value": 1}]});
        assert_eq!(check(lp.clone(), serenity::ResolvedValue::Integer(1)), None);
        let answer = check(lp, serenity::ResolvedValue::Integer(2)).unwrap_or_default();
        assert!(answer.contains("not one of the choices"), "{answer}");
    }

    #[test]
    fn strings_over_the_registered_length_state_the_limit() {
        let time = json!({"type": 3, "max_length": 20});
        let long = "9".repeat(21);
        let answer = check(time.clone(), serenity::ResolvedValue::String(&long));
        assert_eq!(
            answer.as_deref(),
            Some("`x` can be at most 20 characters long; yours has 21.")
        );
        // Characters, not bytes.
        let wide = "é".repeat(20);
        assert_eq!(check(time, serenity::ResolvedValue::String(&wide)), None);
    }

    #[test]
    fn a_value_of_another_kind_points_at_an_outdated_command() {
        let count = json!({"type": 4, "min_value": 1, "max_value": 25});
        let answer = check(count, serenity::ResolvedValue::String("ten")).unwrap_or_default();
        assert!(answer.contains(OUTDATED), "{answer}");
    }
}
