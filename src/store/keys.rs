//! Key layout of the sled trees. Every variable-length part is length-prefixed, so a prefix scan
//! for one user (or one session) can never match another whose name merely starts the same way.
//!
//! | tree | key | value |
//! |---|---|---|
//! | `attempts` | user · inverted finished_at · id | attempt JSON |
//! | `attempt_ids` | user · id | key in `attempts` |
//! | `sessions` | session key | session JSON |
//! | `session_members` | user · session key | empty |
//! | `messages` | session · message id (BE) | message JSON |
//! | `messages_by_author` | user · session · message id (BE) | empty |
//! | `user_settings` | user | JSON |
//! | `guild_settings` | guild id | JSON |
//! | `markers` | namespace · key | JSON |
//! | `markers_by_owner` | user · namespace · key | empty |

use jiff::Timestamp;

use super::types::{AttemptId, UserKey};

/// Appends `part` with a big-endian u32 length in front.
pub fn push_part(key: &mut Vec<u8>, part: &[u8]) {
    let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
    key.extend_from_slice(&len.to_be_bytes());
    key.extend_from_slice(part);
}

/// Splits one length-prefixed part off the front of `key`.
pub fn take_part(key: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = key.split_first_chunk::<4>()?;
    let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
    if rest.len() < len {
        return None;
    }
    Some(rest.split_at(len))
}

pub fn user_prefix(user: &UserKey) -> Vec<u8> {
    let mut key = Vec::with_capacity(user.0.len() + 4);
    push_part(&mut key, user.0.as_bytes());
    key
}

/// Newest first: the timestamp's nanoseconds mapped to an order-preserving unsigned value, then
/// inverted.
pub fn inverted_time(at: Timestamp) -> [u8; 16] {
    let ordered = (at.as_nanosecond() as u128) ^ (1u128 << 127);
    (!ordered).to_be_bytes()
}

pub fn attempt_key(user: &UserKey, finished_at: Timestamp, id: &AttemptId) -> Vec<u8> {
    let mut key = user_prefix(user);
    key.extend_from_slice(&inverted_time(finished_at));
    key.extend_from_slice(id.0.as_bytes());
    key
}

pub fn attempt_id_key(user: &UserKey, id: &AttemptId) -> Vec<u8> {
    let mut key = user_prefix(user);
    key.extend_from_slice(id.0.as_bytes());
    key
}

pub fn session_member_key(user: &UserKey, session_key: &str) -> Vec<u8> {
    let mut key = user_prefix(user);
    key.extend_from_slice(session_key.as_bytes());
    key
}

pub fn session_prefix(session_key: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(session_key.len() + 12);
    push_part(&mut key, session_key.as_bytes());
    key
}

pub fn message_key(session_key: &str, message_id: u64) -> Vec<u8> {
    let mut key = session_prefix(session_key);
    key.extend_from_slice(&message_id.to_be_bytes());
    key
}

pub fn message_author_key(author: &UserKey, session_key: &str, message_id: u64) -> Vec<u8> {
    let mut key = user_prefix(author);
    key.extend_from_slice(&message_key(session_key, message_id));
    key
}

/// Parses the part after the user prefix of a `messages_by_author` key.
pub fn split_message_key(key: &[u8]) -> Option<(String, u64)> {
    let (session, rest) = take_part(key)?;
    let id = u64::from_be_bytes(rest.try_into().ok()?);
    Some((String::from_utf8(session.to_vec()).ok()?, id))
}

pub fn marker_key(namespace: &str, key: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(namespace.len() + key.len() + 4);
    push_part(&mut out, namespace.as_bytes());
    out.extend_from_slice(key.as_bytes());
    out
}

/// Parses a `markers` key into namespace and key.
pub fn split_marker_key(key: &[u8]) -> Option<(String, String)> {
    let (namespace, rest) = take_part(key)?;
    Some((
        String::from_utf8(namespace.to_vec()).ok()?,
        String::from_utf8(rest.to_vec()).ok()?,
    ))
}

/// Shows a key in an error message: text when it is text, hex otherwise.
pub fn display_key(key: &[u8]) -> String {
    let printable: String = key
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect();
    format!("\"{printable}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_prefix_never_matches_a_longer_name() {
        let short = user_prefix(&UserKey::local("al"));
        let long = attempt_key(
            &UserKey::local("alice"),
            Timestamp::UNIX_EPOCH,
            &AttemptId::new("x"),
        );
        assert!(!long.starts_with(&short));
    }

    #[test]
    fn newer_attempts_sort_first_including_before_1970() {
        let user = UserKey::local("a");
        let id = AttemptId::new("x");
        let times = [
            "1969-12-31T23:59:59Z",
            "1970-01-01T00:00:00Z",
            "2024-05-01T10:00:00Z",
        ];
        let mut keys: Vec<Vec<u8>> = times
            .iter()
            .map(|t| attempt_key(&user, t.parse().unwrap(), &id))
            .collect();
        let by_time = keys.clone();
        keys.sort();
        let expected: Vec<Vec<u8>> = by_time.into_iter().rev().collect();
        assert_eq!(keys, expected);
    }

    #[test]
    fn message_keys_sort_by_id_and_split_back() {
        assert!(message_key("s", 2) < message_key("s", 10));
        let author = UserKey::discord(9);
        let full = message_author_key(&author, "solo:x", 77);
        let rest = &full[user_prefix(&author).len()..];
        assert_eq!(split_message_key(rest), Some(("solo:x".to_string(), 77)));
    }

    #[test]
    fn marker_keys_split_back_and_truncated_keys_are_rejected() {
        let key = marker_key("daily", "g1:2024-01-01");
        assert_eq!(
            split_marker_key(&key),
            Some(("daily".to_string(), "g1:2024-01-01".to_string()))
        );
        assert_eq!(split_marker_key(&key[..6]), None);
    }
}
