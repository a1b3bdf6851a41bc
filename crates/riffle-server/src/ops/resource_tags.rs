//! TagResource, UntagResource and ListTagsForResource: tagging by ARN, with the rules of
//! AddTagsToStream / RemoveTagsFromStream (`super::tags`). A consumer ARN names a resource that
//! cannot exist until enhanced fan-out is served, so it is not found.

use super::arns::{self, Resource};
use super::tags::{MAX_TAGS, check_tag_chars, reject_reserved, require_settled, validate_tag_map};
use crate::state::App;
use riffle_proto::shapes::TagOut;
use riffle_proto::shapes_more::{ListTagsForResourceOutput, ResourceInput, TagResourceInput, UntagResourceInput};
use riffle_proto::{ApiError, Violations};
use std::sync::Arc;

/// The stream a resource ARN names, or AWS's not-found answer.
fn stream_of(app: &App, arn: &str) -> Result<String, ApiError> {
    match arns::resolve(app, arn) {
        Some(Resource::Stream { name }) => Ok(name),
        Some(Resource::Consumer { consumer }) => Err(arns::consumer_not_found(app, &consumer)),
        None => Err(app.name_from_arn(arn).err().unwrap_or_else(|| ApiError::invalid_argument("Invalid ResourceARN."))),
    }
}

pub async fn tag(app: &Arc<App>, input: TagResourceInput) -> Result<(), ApiError> {
    let mut v = Violations::new();
    v.required(&input.tags, "tags");
    if let Some(t) = &input.tags {
        validate_tag_map(&mut v, t, "tags");
    }
    arns::validate_resource_arn(&mut v, &input.resource_arn);
    v.finish()?;
    let tags = input.tags.expect("validated");
    check_tag_chars(tags.iter().flat_map(|(k, v)| [k, v]))?;
    reject_reserved(tags.keys())?;
    let name = stream_of(app, input.resource_arn.as_deref().expect("validated"))?;
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

pub async fn untag(app: &Arc<App>, input: UntagResourceInput) -> Result<(), ApiError> {
    let mut v = Violations::new();
    v.required(&input.tag_keys, "tagKeys");
    if let Some(keys) = &input.tag_keys {
        if keys.is_empty() {
            v.push(Some(&"[]"), "tagKeys", "have length greater than or equal to 1");
        } else if keys.len() > MAX_TAGS {
            v.push(Some(&format!("[{}]", keys.join(", "))), "tagKeys", "have length less than or equal to 50");
        }
        super::tags::validate_key_lengths(&mut v, keys);
    }
    arns::validate_resource_arn(&mut v, &input.resource_arn);
    v.finish()?;
    let keys = input.tag_keys.expect("validated");
    check_tag_chars(&keys)?;
    let name = stream_of(app, input.resource_arn.as_deref().expect("validated"))?;
    app.update_stream(&name, |s| {
        require_settled(app, s)?;
        for k in &keys {
            s.tags.remove(k);
        }
        Ok(())
    })
}

pub async fn list(app: &Arc<App>, input: ResourceInput) -> Result<ListTagsForResourceOutput, ApiError> {
    let mut v = Violations::new();
    arns::validate_resource_arn(&mut v, &input.resource_arn);
    v.finish()?;
    let name = stream_of(app, input.resource_arn.as_deref().expect("validated"))?;
    app.with_stream(&name, |s| {
        Ok(ListTagsForResourceOutput {
            tags: s.tags.iter().map(|(k, v)| TagOut { key: k.clone(), value: v.clone() }).collect(),
        })
    })
}
