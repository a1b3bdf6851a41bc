//! AddTagsToStream, RemoveTagsFromStream, ListTagsForStream.

use super::validate_stream_ref;
use crate::catalog::StreamStatus;
use crate::state::App;
use riffle_proto::shapes::{AddTagsInput, ListTagsInput, ListTagsOutput, RemoveTagsInput, TagOut};
use riffle_proto::{ApiError, Violations};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Tags a stream may carry.
pub(crate) const MAX_TAGS: usize = 50;
const DEFAULT_LIST_LIMIT: usize = 50;

/// Model constraints of a tag map: 1–200 entries, keys 1–128, values 0–256 characters.
pub(crate) fn validate_tag_map(v: &mut Violations, tags: &BTreeMap<String, String>, path: &str) {
    if tags.len() > 200 {
        v.push(Some(&format!("{tags:?}")), path, "have length less than or equal to 200");
    } else if tags.is_empty() {
        v.push(Some(&"{}"), path, "have length greater than or equal to 1");
    }
    for (k, val) in tags {
        v.length(Some(k), &format!("{path}.{k}.member.key"), 1, 128);
        v.length(Some(val), &format!("{path}.{k}.member.value"), 0, 256);
    }
}

/// Members of a TagKeyList are 1–128 characters. AWS reports a bad member on the list as a whole,
/// in its nested-constraint form (kinesalite's recording).
pub(crate) fn validate_key_lengths(v: &mut Violations, keys: &[String]) {
    if keys.iter().any(|k| k.is_empty() || k.chars().count() > 128) {
        v.push(
            Some(&format!("[{}]", keys.join(", "))),
            "tagKeys",
            "satisfy constraint: [Member must have length less than or equal to 128, Member must have length \
             greater than or equal to 1]",
        );
    }
}

/// Tag keys and values allow letters, digits, white space and `_ . : / = + - @`.
pub(crate) fn check_tag_chars<'a>(items: impl IntoIterator<Item = &'a String>) -> Result<(), ApiError> {
    let ok = |c: char| c.is_alphanumeric() || c == ' ' || "_.:/=+-@%".contains(c);
    for s in items {
        if !s.chars().all(ok) {
            return Err(ApiError::invalid_argument(
                "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white \
                 space, _ . / = + - % @ :.",
            ));
        }
    }
    Ok(())
}

/// `%` passes the character check but not removal, with its own message (kinesalite's recording).
pub(crate) fn reject_percent(app: &App, name: &str, keys: &[String]) -> Result<(), ApiError> {
    if keys.iter().any(|k| k.contains('%')) {
        return Err(ApiError::invalid_argument(format!(
            "Failed to remove tags from stream {name} under account {} because some tags contained illegal \
             characters. The allowed characters are Unicode letters, white-spaces, '_',',','/','=','+','-','@',':'.",
            app.account()
        )));
    }
    Ok(())
}

pub(crate) fn reject_reserved<'a>(keys: impl IntoIterator<Item = &'a String>) -> Result<(), ApiError> {
    if keys.into_iter().any(|k| k.to_ascii_lowercase().starts_with("aws:")) {
        return Err(ApiError::invalid_argument("Tag keys starting with 'aws:' are reserved for internal use."));
    }
    Ok(())
}

pub(crate) fn require_settled(app: &App, s: &crate::catalog::Stream) -> Result<(), ApiError> {
    if s.status == StreamStatus::Creating { app.require_active(s) } else { Ok(()) }
}

pub async fn add(app: &Arc<App>, input: AddTagsInput) -> Result<(), ApiError> {
    let mut v = Violations::new();
    v.required(&input.tags, "tags");
    if let Some(t) = &input.tags {
        validate_tag_map(&mut v, t, "tags");
    }
    validate_stream_ref(&mut v, input.stream());
    v.finish()?;
    let name = app.resolve_name(input.stream())?;
    let tags = input.tags.expect("validated");
    check_tag_chars(tags.iter().flat_map(|(k, v)| [k, v]))?;
    reject_reserved(tags.keys())?;
    app.update_stream(&name, |s| {
        require_settled(app, s)?;
        let total = s.tags.keys().chain(tags.keys().filter(|k| !s.tags.contains_key(*k))).count();
        if total > MAX_TAGS {
            return Err(ApiError::invalid_argument(format!(
                "Failed to add tags to stream {name} under account {} because a given stream cannot have \
                 more than {MAX_TAGS} tags associated with it.",
                app.account()
            )));
        }
        s.tags.extend(tags);
        Ok(())
    })
}

pub async fn remove(app: &Arc<App>, input: RemoveTagsInput) -> Result<(), ApiError> {
    let mut v = Violations::new();
    v.required(&input.tag_keys, "tagKeys");
    if let Some(keys) = &input.tag_keys {
        if keys.is_empty() {
            v.push(Some(&"[]"), "tagKeys", "have length greater than or equal to 1");
        } else if keys.len() > 50 {
            v.push(Some(&format!("[{}]", keys.join(", "))), "tagKeys", "have length less than or equal to 50");
        }
        validate_key_lengths(&mut v, keys);
    }
    validate_stream_ref(&mut v, input.stream());
    v.finish()?;
    let name = app.resolve_name(input.stream())?;
    let keys = input.tag_keys.expect("validated");
    check_tag_chars(&keys)?;
    reject_percent(app, &name, &keys)?;
    app.update_stream(&name, |s| {
        require_settled(app, s)?;
        for k in &keys {
            s.tags.remove(k);
        }
        Ok(())
    })
}

pub async fn list(app: &Arc<App>, input: ListTagsInput) -> Result<ListTagsOutput, ApiError> {
    let mut v = Violations::new();
    v.length(input.exclusive_start_tag_key.as_deref(), "exclusiveStartTagKey", 1, 128);
    v.range(input.limit, "limit", Some(1), Some(50));
    validate_stream_ref(&mut v, input.stream());
    v.finish()?;
    let name = app.resolve_name(input.stream())?;
    let limit = input.limit.map_or(DEFAULT_LIST_LIMIT, |l| l as usize);
    app.with_stream(&name, |s| {
        let after = input.exclusive_start_tag_key.as_deref();
        let rest: Vec<_> = s.tags.iter().filter(|(k, _)| after.is_none_or(|a| k.as_str() > a)).collect();
        Ok(ListTagsOutput {
            has_more_tags: rest.len() > limit,
            tags: rest.into_iter().take(limit).map(|(k, v)| TagOut { key: k.clone(), value: v.clone() }).collect(),
        })
    })
}
