//! Plans a release the way a service embedding relman-domain would: it reads tag lists, keeps
//! the tracked tags as versions, resolves each member, and compares the result with the previous
//! release before anything is stored.
//!
//! Run with `cargo run -q -p relman-domain --example plan_release`.

use std::error::Error;

use relman_domain::{
    Channel, ChannelRule, ChannelRules, Component, ComponentVersion, Digest, LatestAlias,
    MemberSelector, Provenance, ReleaseMember, TagPattern, VersionSource, VersioningStrategy,
    classify_channel, compare, compare_versions_desc, compute_aliases, content_digest,
    parse_semver, parse_tag_semver, resolve_member,
};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// What storage would hand back for a component; ids and times are fixed so runs repeat.
fn component(n: u32, name: &str, pattern: Option<&str>, rules: ChannelRules) -> Result<Component> {
    let at = "2026-01-05T09:00:00Z".parse()?;
    Ok(Component {
        id: format!("0190f3c2-0000-7000-8000-{n:012}").parse()?,
        name: name.parse()?,
        display_name: name.to_owned(),
        image_repository: format!("myorg/{name}"),
        registry_integration_id: None,
        versioning_strategy: VersioningStrategy::Semver,
        default_channel: Channel::stable(),
        tag_pattern: pattern.map(TagPattern::new).transpose()?,
        channel_rules: rules,
        sync_interval_seconds: None,
        record_pushed_at: false,
        latest_alias: LatestAlias::Highest,
        created_at: at,
        updated_at: at,
    })
}

/// What a sync makes of a registry's tag list: untracked tags are dropped, the rest get their
/// semver and channel from the tag. The digest stands in for the one the registry reports.
fn sync(component: &Component, n: usize, tags: &[&str]) -> Result<Vec<ComponentVersion>> {
    let tracked = tags.iter().filter(|tag| {
        component
            .tag_pattern
            .as_ref()
            .is_none_or(|p| p.matches(tag))
    });
    let mut versions = Vec::new();
    for (i, tag) in tracked.enumerate() {
        let semver = parse_tag_semver(tag);
        versions.push(ComponentVersion {
            id: format!("0190f3c3-{n:04}-7000-8000-{i:012}").parse()?,
            component_id: component.id,
            tag: (*tag).to_owned(),
            digest: Digest::sha256_of(format!("{}@{tag}", component.image_repository).as_bytes()),
            channel: classify_channel(tag, semver.as_ref(), &component.channel_rules),
            semver,
            source: VersionSource::Sync,
            platforms: Vec::new(),
            pushed_at: None,
            provenance: Provenance::default(),
            first_seen_at: component.created_at,
            updated_at: component.created_at,
            gone: false,
            yank: None,
        });
    }
    versions.sort_by(compare_versions_desc);
    Ok(versions)
}

fn describe(selector: &MemberSelector) -> String {
    match selector {
        MemberSelector::Version(v) => format!("version {v}"),
        MemberSelector::Digest(d) => format!("digest {d}"),
        MemberSelector::Channel(c) => format!("highest in channel {c}"),
        MemberSelector::Default => "latest in the default channel".to_owned(),
    }
}

fn short(digest: &Digest) -> String {
    format!("{}…", &digest.to_string()[..19])
}

fn version_text(v: Option<impl std::fmt::Display>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// Resolves every member of a plan, or says which one cannot be planned and why.
fn resolve(
    plan: &[(&Component, &[ComponentVersion], MemberSelector)],
    show: bool,
) -> Result<Vec<ReleaseMember>> {
    let mut members = Vec::new();
    for (component, versions, selector) in plan {
        let member = resolve_member(component, versions, selector)?;
        if show {
            println!(
                "  {:<8} {:<13} {:<7} {}  ({})",
                member.component_name,
                member.tag,
                member.channel.as_ref().map_or("-", Channel::as_str),
                short(&member.digest),
                describe(selector),
            );
        }
        members.push(member);
    }
    Ok(members)
}

fn main() -> Result<()> {
    let api = component(1, "api", Some(r"^v\d+\.\d+\.\d+"), ChannelRules::default())?;
    let web = component(2, "web", None, ChannelRules::default())?;
    let worker = component(
        3,
        "worker",
        None,
        ChannelRules(vec![ChannelRule::new("^nightly-", "nightly")?]),
    )?;
    let legacy = component(4, "legacy", None, ChannelRules::default())?;

    let registry: [(&Component, &[&str]); 4] = [
        (
            &api,
            &[
                "v2.2.0",
                "v2.3.0",
                "v2.3.1",
                "v2.4.0-rc.1",
                "latest",
                "sha-3f2a9c1",
            ],
        ),
        (&web, &["1.4.0", "1.4.1", "1.5.0-beta.2"]),
        (
            &worker,
            &["v0.9.0", "v1.0.0-rc.1", "v1.0.0-rc.2", "nightly-20260112"],
        ),
        (&legacy, &["v0.3.1"]),
    ];
    let mut synced = Vec::new();
    println!("Versions, newest first:");
    for (n, (component, tags)) in registry.into_iter().enumerate() {
        let versions = sync(component, n, tags)?;
        let listed: Vec<String> = versions
            .iter()
            .map(|v| match &v.channel {
                Some(c) => format!("{} [{c}]", v.tag),
                None => v.tag.clone(),
            })
            .collect();
        println!("  {:<8} {}", component.name.as_str(), listed.join(", "));
        let untracked: Vec<&str> = tags
            .iter()
            .filter(|tag| !versions.iter().any(|v| v.tag == **tag))
            .copied()
            .collect();
        if !untracked.is_empty() {
            println!("  {:<8} not tracked: {}", "", untracked.join(", "));
        }
        synced.push(versions);
    }
    let [api_versions, web_versions, worker_versions, legacy_versions] = synced.as_slice() else {
        return Err("one version list per component".into());
    };

    let previous = resolve(
        &[
            (
                &api,
                api_versions,
                MemberSelector::Version(parse_semver("2.3.0")?),
            ),
            (
                &web,
                web_versions,
                MemberSelector::Version(parse_semver("1.4.0")?),
            ),
            (
                &worker,
                worker_versions,
                MemberSelector::Version(parse_semver("0.9.0")?),
            ),
            (&legacy, legacy_versions, MemberSelector::Default),
        ],
        false,
    )?;

    println!("\nRelease shop-2026.02:");
    let current = resolve(
        &[
            (&api, api_versions, MemberSelector::Default),
            (
                &web,
                web_versions,
                MemberSelector::Version(parse_semver("1.4.0")?),
            ),
            (
                &worker,
                worker_versions,
                MemberSelector::Channel(Channel::rc()),
            ),
        ],
        true,
    )?;
    let digest = content_digest(&current);
    println!("Content digest: {digest}");

    // A member that cannot be resolved stops the plan with a reason a person can act on.
    let wish = MemberSelector::Version(parse_semver("2.0.0")?);
    if let Err(why) = resolve_member(&web, web_versions, &wish) {
        println!("Not plannable ({}): {why}", describe(&wish));
    }

    println!(
        "\nCompared with shop-2026.01 ({}):",
        short(&content_digest(&previous))
    );
    let diff = compare(&previous, &current);
    for change in &diff.changed {
        println!(
            "  changed   {:<8} {} -> {}",
            change.component,
            version_text(change.from_version.as_ref()),
            version_text(change.to_version.as_ref()),
        );
    }
    for added in &diff.added {
        println!("  added     {}", added.component_name);
    }
    for removed in &diff.removed {
        println!("  removed   {}", removed.component_name);
    }
    println!("  unchanged {}", diff.unchanged);

    let aliases: Vec<String> = compute_aliases(api_versions)
        .iter()
        .map(|a| format!("{} -> {}", a.alias, a.tag))
        .collect();
    println!("\nFloating tags of api: {}", aliases.join(", "));
    Ok(())
}
