//! Release-bundle rules at the size relman is built for: 200 members resolved against components
//! of 5,000 versions each, then compared and digested.
//!
//! Run with `cargo bench -p relman-domain --bench release`.

#![expect(
    clippy::expect_used,
    reason = "fixtures are built from literals known to be valid"
)]
#![expect(
    missing_docs,
    reason = "criterion_group! generates an undocumented public function"
)]

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use relman_domain::{
    Channel, ChannelRules, Component, ComponentVersion, Digest, MemberSelector, ReleaseMember,
    VersionSource, VersioningStrategy, compare, content_digest, parse_tag_semver, resolve_member,
    version_sort_key,
};
use uuid::Uuid;

const COMPONENTS: usize = 200;
const VERSIONS: usize = 5_000;

/// One component and its versions.
struct Fixture {
    component: Component,
    versions: Vec<ComponentVersion>,
}

/// Version `i` of a component: 1,000 base versions `M.m.p`, each as a stable tag, two release
/// candidates and two betas (one in five stable, two rc, two beta); one version in 37 is gone.
fn version(component_id: Uuid, component: &str, i: usize) -> ComponentVersion {
    let base = i / 5;
    let (major, minor, patch) = (base / 100, (base / 10) % 10, base % 10);
    let (suffix, channel) = match i % 5 {
        0 => (String::new(), Channel::stable()),
        k @ (1 | 2) => (format!("-rc.{k}"), Channel::rc()),
        k => (format!("-beta.{}", k - 2), Channel::beta()),
    };
    let tag = format!("v{major}.{minor}.{patch}{suffix}");
    let now = DateTime::<Utc>::UNIX_EPOCH;
    ComponentVersion {
        provenance: Default::default(),
        id: Uuid::from_u128(((component_id.as_u128() & 0xffff_ffff) << 32) | i as u128),
        component_id,
        digest: Digest::sha256_of(format!("{component}:{tag}").as_bytes()),
        semver: parse_tag_semver(&tag),
        tag,
        channel: Some(channel),
        source: VersionSource::Sync,
        platforms: vec![],
        pushed_at: None,
        first_seen_at: now,
        updated_at: now,
        gone: i.is_multiple_of(37),
        yank: None,
    }
}

fn fixtures() -> Vec<Fixture> {
    let now = DateTime::<Utc>::UNIX_EPOCH;
    (0..COMPONENTS)
        .map(|n| {
            let name = format!("component-{n:03}");
            let id = Uuid::from_u128(n as u128 + 1);
            let versions = (0..VERSIONS).map(|i| version(id, &name, i)).collect();
            let component = Component {
                id,
                name: name.parse().expect("a valid component name"),
                display_name: name.clone(),
                image_repository: format!("myorg/{name}"),
                registry_integration_id: None,
                versioning_strategy: VersioningStrategy::Semver,
                default_channel: Channel::stable(),
                tag_pattern: None,
                channel_rules: ChannelRules::default(),
                sync_interval_seconds: None,
                record_pushed_at: true,
                latest_alias: Default::default(),
                created_at: now,
                updated_at: now,
            };
            Fixture {
                component,
                versions,
            }
        })
        .collect()
}

/// Resolves one member per component with the selector `pick` chooses for it.
fn resolve_all(
    fixtures: &[Fixture],
    pick: impl Fn(&Fixture) -> MemberSelector,
) -> Vec<ReleaseMember> {
    fixtures
        .iter()
        .map(|f| {
            resolve_member(&f.component, &f.versions, &pick(f)).expect("the selector resolves")
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let fixtures = fixtures();
    let by_channel = MemberSelector::Channel(Channel::stable());
    let by_version = MemberSelector::Version("5.0.0".parse().expect("a valid version"));
    // A selector per component, built outside the timed loop: the digest of a mid-list version.
    let digests: Vec<MemberSelector> = fixtures
        .iter()
        .map(|f| MemberSelector::Digest(f.versions[2_501].digest.clone()))
        .collect();

    let mut group = c.benchmark_group("resolve 200 members x 5000 versions");
    group.bench_function("by channel", |b| {
        b.iter(|| resolve_all(black_box(&fixtures), |_| by_channel.clone()));
    });
    group.bench_function("by version", |b| {
        b.iter(|| resolve_all(black_box(&fixtures), |_| by_version.clone()));
    });
    group.bench_function("by digest", |b| {
        b.iter(|| {
            fixtures
                .iter()
                .zip(&digests)
                .map(|(f, s)| resolve_member(&f.component, &f.versions, s))
                .collect::<Result<Vec<_>, _>>()
                .expect("every digest resolves")
        });
    });
    group.finish();

    // Two releases of 200 members: 5 components only in each, every fourth shared one changed.
    let stable = resolve_all(&fixtures, |_| by_channel.clone());
    let mut from = stable.clone();
    from.truncate(195);
    let mut to: Vec<ReleaseMember> = stable[5..].to_vec();
    for (i, member) in to.iter_mut().enumerate() {
        if i.is_multiple_of(4) {
            member.digest = Digest::sha256_of(member.tag.as_bytes());
        }
    }
    to.extend(stable[..5].iter().map(|m| {
        let mut added = m.clone();
        added.component_id = Uuid::from_u128(added.component_id.as_u128() + 10_000);
        added
    }));
    let comparison = compare(&from, &to);
    assert_eq!(comparison.unchanged + comparison.changed.len(), 190);

    c.bench_function("compare two 200-member releases", |b| {
        b.iter(|| compare(black_box(&from), black_box(&to)));
    });
    c.bench_function("content_digest of 200 members", |b| {
        b.iter(|| content_digest(black_box(&stable)));
    });
    // The key every version row stores (and every sync computes per tag).
    let semvers: Vec<&semver::Version> = fixtures[0]
        .versions
        .iter()
        .filter_map(|v| v.semver.as_ref())
        .collect();
    c.bench_function("version_sort_key of 5,000 versions", |b| {
        b.iter(|| {
            for v in &semvers {
                black_box(version_sort_key(black_box(v)));
            }
        });
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
