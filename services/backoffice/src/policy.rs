//! Authorization: one pure function from (operator, action) to allowed, an exhaustive match
//! over actions, so a new action does not compile until someone decides who may do it. Which
//! *rows* an operator may touch is the tenancy scope's job, not this one's; an operator acting
//! on another operator also needs [`Role::can_manage`].
//!
//! Decided from `../shared/design/backoffice.md` and issue 14; where they are silent (marked
//! "assumed") the rule is the narrower one.

use signstash_domain::{IssuerStatus, Role};

use crate::menu::Menu;

/// Everything an operator can ask the backoffice to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Open a menu (its list and details).
    View(Menu),
    /// Create an operator, edit its name and status, unlock it.
    ManageOperators,
    /// Create a partner company (assumed: the platform only).
    CreatePartner,
    /// Edit a partner company's details (the platform, or a partner its own).
    EditPartner,
    /// Set a partner's usage limit (admin only, as the issue says).
    SetPartnerLimit,
    /// Create or edit an issuer company.
    ManageIssuers,
    /// Set an issuer's usage limit (the design: a reseller partner, and the platform; telling
    /// a reseller from an integrator needs the operator's company, not only its role, so every
    /// partner passes here and the handler refuses an integrator's).
    SetIssuerLimit,
    /// Move an issuer along its lifecycle at all; which move, [`may_transition`] decides.
    ChangeIssuerStatus,
    /// Create a client service (the design: partner and admin).
    CreateClientService,
    /// Edit a client service, its status, visual templates, SMTP; rotate its secret; run its
    /// configuration test.
    ManageClientServices,
    /// A client service's general configuration (the design: admin edits).
    EditClientServiceConfiguration,
    /// Add, edit, renew certificates (the design: the issuer).
    ManageCertificates,
    /// Certificate authorities, system templates, general configuration.
    EditSystemConfiguration,
    /// See one's own profile, set its language and one's own password (every role: it is
    /// not a change to the platform, so auditors too).
    UseOwnProfile,
    /// Set a client service ACTIVE / SUSPENDED / INACTIVE (assumed: partner and admin, like
    /// creating one; an issuer operator edits its own but does not switch it on or off).
    ChangeClientServiceStatus,
}

/// Whether `role` may do `action`. Auditors never change anything.
pub fn allowed(role: Role, action: Action) -> bool {
    use Role::{Auditor, Issuer, Partner, SystemAdministrator};
    match action {
        Action::View(menu) => menu.allowed(role),
        Action::ManageOperators => matches!(role, SystemAdministrator | Partner | Issuer),
        Action::CreatePartner | Action::SetPartnerLimit => matches!(role, SystemAdministrator),
        Action::EditPartner
        | Action::ManageIssuers
        | Action::SetIssuerLimit
        | Action::CreateClientService
        | Action::ChangeClientServiceStatus => matches!(role, SystemAdministrator | Partner),
        Action::ManageClientServices | Action::ChangeIssuerStatus => {
            matches!(role, SystemAdministrator | Partner | Issuer)
        }
        Action::EditClientServiceConfiguration | Action::EditSystemConfiguration => {
            matches!(role, SystemAdministrator)
        }
        Action::UseOwnProfile => match role {
            SystemAdministrator | Partner | Issuer | Auditor => true,
        },
        Action::ManageCertificates => match role {
            Issuer => true,
            SystemAdministrator | Partner | Auditor => false,
        },
    }
}

/// Whether `role` may move an issuer from `from` to `to` (`../shared/design/backoffice.md`:
/// "Active → Suspended by the issuer; Active → Blocked by the partner; Blocked → Deleted by the
/// administrator"; a higher role may do what a lower one may, an auditor nothing). DELETED is
/// final. The issuer operator's own company is the scope's job.
pub fn may_transition(role: Role, from: IssuerStatus, to: IssuerStatus) -> bool {
    use IssuerStatus::{Active, Blocked, Deleted, Registered, Suspended};
    use Role::{Issuer, Partner, SystemAdministrator};
    match (from, to) {
        (Active, Suspended) | (Suspended, Active) => {
            matches!(role, SystemAdministrator | Partner | Issuer)
        }
        (Registered, Active) | (Active | Suspended, Blocked) | (Blocked, Active) => {
            matches!(role, SystemAdministrator | Partner)
        }
        (Blocked, Deleted) => matches!(role, SystemAdministrator),
        (Registered | Active | Suspended | Blocked | Deleted, _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    /// Written by hand, row by row (admin, partner, issuer, auditor); never computed from
    /// `allowed`. `View` is covered by the menu table's own test.
    const MATRIX: [(Action, [bool; 4]); 14] = [
        (ManageOperators, [true, true, true, false]),
        (CreatePartner, [true, false, false, false]),
        (EditPartner, [true, true, false, false]),
        (SetPartnerLimit, [true, false, false, false]),
        (ManageIssuers, [true, true, false, false]),
        (SetIssuerLimit, [true, true, false, false]),
        (ChangeIssuerStatus, [true, true, true, false]),
        (CreateClientService, [true, true, false, false]),
        (ManageClientServices, [true, true, true, false]),
        (EditClientServiceConfiguration, [true, false, false, false]),
        (ManageCertificates, [false, false, true, false]),
        (EditSystemConfiguration, [true, false, false, false]),
        (UseOwnProfile, [true, true, true, true]),
        (ChangeClientServiceStatus, [true, true, false, false]),
    ];

    const ROLES: [Role; 4] = [
        Role::SystemAdministrator,
        Role::Partner,
        Role::Issuer,
        Role::Auditor,
    ];

    /// The matrix's row of each action: a new action fails to compile here until it has one.
    fn row(action: Action) -> Option<usize> {
        Some(match action {
            View(_) => return None,
            ManageOperators => 0,
            CreatePartner => 1,
            EditPartner => 2,
            SetPartnerLimit => 3,
            ManageIssuers => 4,
            SetIssuerLimit => 5,
            ChangeIssuerStatus => 6,
            CreateClientService => 7,
            ManageClientServices => 8,
            EditClientServiceConfiguration => 9,
            ManageCertificates => 10,
            EditSystemConfiguration => 11,
            UseOwnProfile => 12,
            ChangeClientServiceStatus => 13,
        })
    }

    #[test]
    fn the_matrix_has_one_row_per_action() {
        for (i, (action, _)) in MATRIX.iter().enumerate() {
            assert_eq!(row(*action), Some(i), "{action:?}");
        }
    }

    #[test]
    fn every_action_is_allowed_to_exactly_the_roles_of_the_matrix() {
        for (action, expected) in MATRIX {
            for (role, allowed_expected) in ROLES.iter().zip(expected) {
                assert_eq!(
                    allowed(*role, action),
                    allowed_expected,
                    "{role:?} {action:?}"
                );
            }
        }
    }

    #[test]
    fn an_auditor_changes_nothing_and_views_only_its_menus() {
        // Its own profile is not the platform's.
        for (action, _) in MATRIX.into_iter().filter(|(a, _)| *a != UseOwnProfile) {
            assert!(!allowed(Role::Auditor, action), "{action:?}");
        }
        for menu in Menu::ALL {
            assert_eq!(
                allowed(Role::Auditor, View(menu)),
                menu.allowed(Role::Auditor)
            );
        }
    }

    /// Every move the lifecycle allows, written by hand from the issue (admin, partner, issuer,
    /// auditor); every pair not listed is refused to everyone.
    const TRANSITIONS: [(IssuerStatus, IssuerStatus, [bool; 4]); 7] = {
        use IssuerStatus::*;
        [
            (Registered, Active, [true, true, false, false]),
            (Active, Suspended, [true, true, true, false]),
            (Suspended, Active, [true, true, true, false]),
            (Active, Blocked, [true, true, false, false]),
            (Suspended, Blocked, [true, true, false, false]),
            (Blocked, Active, [true, true, false, false]),
            (Blocked, Deleted, [true, false, false, false]),
        ]
    };

    #[test]
    fn each_issuer_transition_is_allowed_to_exactly_the_roles_of_its_table() {
        for from in IssuerStatus::ALL {
            for to in IssuerStatus::ALL {
                let expected = TRANSITIONS
                    .iter()
                    .find(|(f, t, _)| f == from && t == to)
                    .map_or([false; 4], |(_, _, roles)| *roles);
                for (role, allowed_expected) in ROLES.iter().zip(expected) {
                    assert_eq!(
                        may_transition(*role, *from, *to),
                        allowed_expected,
                        "{role:?} {from:?} → {to:?}"
                    );
                }
            }
        }
    }
}
