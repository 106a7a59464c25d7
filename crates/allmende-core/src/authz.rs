//! The one place that decides who may read and write what. Every handler of every interface
//! asks [`decide`]; none re-implements a rule.

use std::collections::HashMap;

use uuid::Uuid;

use crate::model::{Role, Visibility};

/// Who is asking: anonymous, a logged-in user or a token holder.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub user_name: Option<String>,
    pub sysadmin: bool,
    /// Role per organization id.
    pub roles: HashMap<Uuid, Role>,
}

impl Actor {
    pub fn anonymous() -> Self {
        Self::default()
    }

    pub fn is_authenticated(&self) -> bool {
        self.user_id.is_some()
    }

    pub fn role_in(&self, org: Uuid) -> Option<Role> {
        self.roles.get(&org).copied()
    }

    fn has_role(&self, org: Uuid, at_least: Role) -> bool {
        self.sysadmin || self.role_in(org).is_some_and(|r| r >= at_least)
    }
}

/// What a request wants to do, with the facts about the target the decision needs.
#[derive(Debug, Clone, Copy)]
pub enum Action {
    /// See a dataset, its resources and files.
    ReadDataset {
        org: Uuid,
        visibility: Visibility,
        deleted: bool,
    },
    CreateDataset {
        org: Uuid,
    },
    /// Change, delete, restore a dataset or add/change/remove its resources.
    EditDataset {
        org: Uuid,
        visibility: Visibility,
        deleted: bool,
    },
    /// Change an organization, its logo and members.
    ManageOrganization {
        org: Uuid,
    },
    /// See an organization's member list.
    ReadMembers {
        org: Uuid,
    },
    CreateOrganization,
    ManageUsers,
    /// Let a file with privacy findings out, with a reason (organization admins).
    AcknowledgeFindings {
        org: Uuid,
    },
    /// Read the audit log (sysadmins).
    ReadAudit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// The target exists and may be seen, but not changed by this actor.
    Forbidden,
    /// The actor may not even know the target exists: answer exactly as if it did not.
    NotFound,
}

impl Decision {
    pub fn allowed(self) -> bool {
        self == Decision::Allow
    }
}

pub fn decide(actor: &Actor, action: Action) -> Decision {
    use Decision::*;
    let allow_if = |ok: bool| if ok { Allow } else { Forbidden };
    match action {
        Action::ReadDataset {
            org,
            visibility,
            deleted,
        } => {
            let ok = if deleted {
                // Only those who can restore a deleted dataset still see it.
                actor.has_role(org, Role::Editor)
            } else {
                visibility == Visibility::Public || actor.has_role(org, Role::Member)
            };
            if ok { Allow } else { NotFound }
        }
        Action::EditDataset {
            org,
            visibility,
            deleted,
        } => match decide(
            actor,
            Action::ReadDataset {
                org,
                visibility,
                deleted,
            },
        ) {
            Allow => allow_if(actor.has_role(org, Role::Editor)),
            other => other,
        },
        Action::CreateDataset { org } => allow_if(actor.has_role(org, Role::Editor)),
        Action::ManageOrganization { org } => allow_if(actor.has_role(org, Role::Admin)),
        Action::ReadMembers { org } => allow_if(actor.has_role(org, Role::Member)),
        Action::AcknowledgeFindings { org } => allow_if(actor.has_role(org, Role::Admin)),
        Action::CreateOrganization | Action::ManageUsers | Action::ReadAudit => {
            allow_if(actor.sysadmin)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_role(org: Uuid, role: Role) -> Actor {
        Actor {
            user_id: Some(Uuid::new_v4()),
            roles: HashMap::from([(org, role)]),
            ..Actor::default()
        }
    }

    #[test]
    fn private_and_draft_are_not_found_for_outsiders() {
        let org = Uuid::new_v4();
        let other = with_role(Uuid::new_v4(), Role::Admin);
        for visibility in [Visibility::Private, Visibility::Draft] {
            let read = Action::ReadDataset {
                org,
                visibility,
                deleted: false,
            };
            assert_eq!(decide(&Actor::anonymous(), read), Decision::NotFound);
            assert_eq!(decide(&other, read), Decision::NotFound);
            assert_eq!(decide(&with_role(org, Role::Member), read), Decision::Allow);
        }
    }

    #[test]
    fn roles_are_ordered() {
        let org = Uuid::new_v4();
        let edit = Action::EditDataset {
            org,
            visibility: Visibility::Public,
            deleted: false,
        };
        assert_eq!(
            decide(&with_role(org, Role::Member), edit),
            Decision::Forbidden
        );
        assert_eq!(decide(&with_role(org, Role::Editor), edit), Decision::Allow);
        assert_eq!(
            decide(
                &with_role(org, Role::Editor),
                Action::ManageOrganization { org }
            ),
            Decision::Forbidden
        );
        assert_eq!(
            decide(
                &with_role(org, Role::Admin),
                Action::ManageOrganization { org }
            ),
            Decision::Allow
        );
    }

    #[test]
    fn deleted_is_seen_by_editors_only() {
        let org = Uuid::new_v4();
        let read = Action::ReadDataset {
            org,
            visibility: Visibility::Public,
            deleted: true,
        };
        assert_eq!(decide(&Actor::anonymous(), read), Decision::NotFound);
        assert_eq!(
            decide(&with_role(org, Role::Member), read),
            Decision::NotFound
        );
        assert_eq!(decide(&with_role(org, Role::Editor), read), Decision::Allow);
    }
}

/// Which datasets an actor may see in lists and counts: the SQL twin of
/// [`Action::ReadDataset`], derived here so list queries and single reads agree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadScope {
    /// Every non-deleted dataset (sysadmins).
    All,
    /// Public datasets plus every non-deleted dataset of these organizations.
    PublicAnd(Vec<Uuid>),
}

pub fn read_scope(actor: &Actor) -> ReadScope {
    if actor.sysadmin {
        ReadScope::All
    } else {
        let mut orgs: Vec<Uuid> = actor
            .roles
            .iter()
            .filter(|(_, r)| **r >= Role::Member)
            .map(|(o, _)| *o)
            .collect();
        orgs.sort();
        ReadScope::PublicAnd(orgs)
    }
}

#[cfg(test)]
mod scope_tests {
    use super::*;

    /// The list scope must agree with the single-read rule for every non-deleted dataset.
    #[test]
    fn scope_matches_decide() {
        let mine = Uuid::new_v4();
        let theirs = Uuid::new_v4();
        let actors = [
            Actor::anonymous(),
            Actor {
                user_id: Some(Uuid::new_v4()),
                roles: HashMap::from([(mine, Role::Member)]),
                ..Actor::default()
            },
            Actor {
                user_id: Some(Uuid::new_v4()),
                sysadmin: true,
                ..Actor::default()
            },
        ];
        for actor in &actors {
            let scope = read_scope(actor);
            for org in [mine, theirs] {
                for visibility in [Visibility::Public, Visibility::Private, Visibility::Draft] {
                    let by_scope = match &scope {
                        ReadScope::All => true,
                        ReadScope::PublicAnd(orgs) => {
                            visibility == Visibility::Public || orgs.contains(&org)
                        }
                    };
                    let by_rule = decide(
                        actor,
                        Action::ReadDataset {
                            org,
                            visibility,
                            deleted: false,
                        },
                    )
                    .allowed();
                    assert_eq!(by_scope, by_rule);
                }
            }
        }
    }
}
