//! Caps on open group sessions: how many run at once in one server, how many one person hosts,
//! and how many one person is in (hosting counts). A group counts from the moment its start is
//! accepted until it closes.

use std::collections::HashMap;
use std::fmt;

/// The caps, from the config (`[group]` `max_open_per_server`, `max_open_per_host`,
/// `max_joined_per_person`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapLimits {
    pub per_server: u32,
    pub per_host: u32,
    pub per_person: u32,
}

/// Why a group could not be started or joined. The text is what the person is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapRefusal {
    ServerFull { max: u32 },
    HostBusy { max: u32 },
    PersonBusy { max: u32 },
}

impl fmt::Display for CapRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: &u32| if *n == 1 { "" } else { "s" };
        match self {
            CapRefusal::ServerFull { max } => write!(
                f,
                "This server already has {max} group session{} running, the most at once. \
                 Join one of them, or try again when one ends.",
                plural(max)
            ),
            CapRefusal::HostBusy { max } => write!(
                f,
                "You are already hosting {max} group session{}, the most at once. End it (the \
                 **End** button) or let it finish before you start another.",
                plural(max)
            ),
            CapRefusal::PersonBusy { max } => write!(
                f,
                "You are already in {max} group session{}, the most at once. Leave one (the \
                 **Leave** button) or let it finish first.",
                plural(max)
            ),
        }
    }
}

/// One open group as the caps see it. Users are store user keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenGroup {
    pub server: Option<u64>,
    pub host: String,
    pub participants: Vec<String>,
}

impl OpenGroup {
    fn has(&self, user: &str) -> bool {
        self.host == user || self.participants.iter().any(|p| p == user)
    }
}

/// Every open group by the channel it runs in.
#[derive(Debug, Clone, Default)]
pub struct OpenGroups {
    by_channel: HashMap<u64, OpenGroup>,
}

impl OpenGroups {
    /// Checks the caps for `group` starting in `channel` and, when they allow it, counts it as
    /// open from now on (check and count in one step, so two starts at once cannot both pass).
    pub fn reserve(
        &mut self,
        channel: u64,
        group: OpenGroup,
        limits: &CapLimits,
    ) -> Result<(), CapRefusal> {
        let others = || {
            self.by_channel
                .iter()
                .filter(move |(c, _)| **c != channel)
                .map(|(_, g)| g)
        };
        if let Some(server) = group.server {
            let running = others().filter(|g| g.server == Some(server)).count();
            if running >= as_count(limits.per_server) {
                return Err(CapRefusal::ServerFull {
                    max: limits.per_server,
                });
            }
        }
        let hosting = others().filter(|g| g.host == group.host).count();
        if hosting >= as_count(limits.per_host) {
            return Err(CapRefusal::HostBusy {
                max: limits.per_host,
            });
        }
        let inside = others().filter(|g| g.has(&group.host)).count();
        if inside >= as_count(limits.per_person) {
            return Err(CapRefusal::PersonBusy {
                max: limits.per_person,
            });
        }
        self.by_channel.insert(channel, group);
        Ok(())
    }

    /// Checks the caps for `user` joining the group in `channel` and, when they allow it,
    /// counts them in it (the group's next [`OpenGroups::update`] states the truth either way).
    pub fn reserve_join(
        &mut self,
        channel: u64,
        user: &str,
        limits: &CapLimits,
    ) -> Result<(), CapRefusal> {
        if self.by_channel.get(&channel).is_some_and(|g| g.has(user)) {
            return Ok(());
        }
        let inside = self
            .by_channel
            .iter()
            .filter(|(c, g)| **c != channel && g.has(user))
            .count();
        if inside >= as_count(limits.per_person) {
            return Err(CapRefusal::PersonBusy {
                max: limits.per_person,
            });
        }
        if let Some(group) = self.by_channel.get_mut(&channel) {
            group.participants.push(user.to_string());
        }
        Ok(())
    }

    /// The group in `channel` as it is now (after a join, a leave, a restart).
    pub fn update(&mut self, channel: u64, group: OpenGroup) {
        self.by_channel.insert(channel, group);
    }

    /// The group in `channel` closed (or never opened).
    pub fn remove(&mut self, channel: u64) {
        self.by_channel.remove(&channel);
    }

    pub fn len(&self) -> usize {
        self.by_channel.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_channel.is_empty()
    }
}

fn as_count(max: u32) -> usize {
    usize::try_from(max).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: CapLimits = CapLimits {
        per_server: 2,
        per_host: 1,
        per_person: 2,
    };

    fn group(server: u64, host: &str, others: &[&str]) -> OpenGroup {
        let mut participants = vec![host.to_string()];
        participants.extend(others.iter().map(|o| o.to_string()));
        OpenGroup {
            server: Some(server),
            host: host.to_string(),
            participants,
        }
    }

    #[test]
    fn a_server_runs_at_most_its_cap_and_other_servers_are_not_counted() {
        let mut open = OpenGroups::default();
        open.reserve(1, group(10, "a", &[]), &LIMITS).unwrap();
        open.reserve(2, group(10, "b", &[]), &LIMITS).unwrap();
        let refused = open.reserve(3, group(10, "c", &[]), &LIMITS).unwrap_err();
        assert_eq!(refused, CapRefusal::ServerFull { max: 2 });
        assert!(refused.to_string().contains("already has 2 group sessions"));
        assert_eq!(open.reserve(4, group(11, "c", &[]), &LIMITS), Ok(()));
        open.remove(1);
        assert_eq!(open.reserve(3, group(10, "c2", &[]), &LIMITS), Ok(()));
        assert_eq!(open.len(), 3);
    }

    #[test]
    fn a_host_hosts_at_most_their_cap_across_servers() {
        let mut open = OpenGroups::default();
        open.reserve(1, group(10, "a", &[]), &LIMITS).unwrap();
        let refused = open.reserve(2, group(11, "a", &[]), &LIMITS).unwrap_err();
        assert_eq!(refused, CapRefusal::HostBusy { max: 1 });
        assert!(refused
            .to_string()
            .contains("already hosting 1 group session,"));
        assert_eq!(open.len(), 1, "a refused start is not counted");
    }

    #[test]
    fn being_in_groups_counts_against_starting_and_joining() {
        let mut open = OpenGroups::default();
        open.reserve(1, group(10, "a", &[]), &LIMITS).unwrap();
        open.reserve(2, group(11, "b", &[]), &LIMITS).unwrap();
        open.reserve(3, group(12, "c", &[]), &LIMITS).unwrap();
        assert_eq!(open.reserve_join(1, "x", &LIMITS), Ok(()));
        assert_eq!(open.reserve_join(2, "x", &LIMITS), Ok(()));
        // Joining again where they already are is fine; a third group is not.
        assert_eq!(open.reserve_join(2, "x", &LIMITS), Ok(()));
        let refused = open.reserve_join(3, "x", &LIMITS).unwrap_err();
        assert_eq!(refused, CapRefusal::PersonBusy { max: 2 });
        assert!(refused.to_string().contains("Leave one"));
        // Nor can they host one while in two.
        assert_eq!(
            open.reserve(4, group(13, "x", &[]), &LIMITS),
            Err(CapRefusal::PersonBusy { max: 2 })
        );
        // After leaving one (the group's update says so), the third join works.
        open.update(1, group(10, "a", &[]));
        assert_eq!(open.reserve_join(3, "x", &LIMITS), Ok(()));
    }

    #[test]
    fn restarting_in_the_same_channel_replaces_rather_than_counts_twice() {
        let mut open = OpenGroups::default();
        open.reserve(1, group(10, "a", &[]), &LIMITS).unwrap();
        assert_eq!(open.reserve(1, group(10, "a", &[]), &LIMITS), Ok(()));
        assert_eq!(open.len(), 1);
    }

    #[test]
    fn direct_message_groups_have_no_server_cap() {
        let mut open = OpenGroups::default();
        let dm = |host: &str| OpenGroup {
            server: None,
            host: host.to_string(),
            participants: vec![host.to_string()],
        };
        for (channel, host) in ["a", "b", "c", "d"].iter().enumerate() {
            assert_eq!(open.reserve(channel as u64, dm(host), &LIMITS), Ok(()));
        }
    }
}
