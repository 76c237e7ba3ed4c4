//! Operator roles. They are ordered: system administrator > partner > issuer > auditor, and an
//! operator manages only operators of the same or a lower role (of its own company or a
//! descendant one; the company part is checked where the tree is known, in the store).

use crate::macros::wire_enum;

wire_enum! {
    /// The role of a backoffice operator. Declared from the lowest to the highest so that the
    /// derived order is the order of power.
    #[derive(PartialOrd, Ord)]
    pub enum Role {
        /// Read-only consultation of the issuers it audits (tax authority).
        Auditor = "AUDITOR",
        /// Manages its issuer company: certificates, client services, operations.
        Issuer = "ISSUER",
        /// Manages its issuer companies and their client services.
        Partner = "PARTNER",
        /// Runs the platform.
        SystemAdministrator = "SYSTEM_ADMINISTRATOR",
    }
}

impl Role {
    /// Whether an operator with this role may manage (create, edit, switch off) an operator
    /// with `other`: the same or a lower role.
    pub fn can_manage(self, other: Role) -> bool {
        self >= other
    }

    /// Whether the role only reads.
    pub fn is_read_only(self) -> bool {
        self == Role::Auditor
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::Role::*;
    use super::*;

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(SystemAdministrator > Partner);
        assert!(Partner > Issuer);
        assert!(Issuer > Auditor);
        let mut roles = vec![Issuer, SystemAdministrator, Auditor, Partner];
        roles.sort();
        assert_eq!(roles, [Auditor, Issuer, Partner, SystemAdministrator]);
    }

    #[test]
    fn a_role_manages_the_same_or_lower() {
        assert!(Partner.can_manage(Partner));
        assert!(Partner.can_manage(Auditor));
        assert!(!Partner.can_manage(SystemAdministrator));
        assert!(!Auditor.can_manage(Issuer));
        assert!(SystemAdministrator.can_manage(Auditor));
        assert!(Auditor.is_read_only() && !Issuer.is_read_only());
    }

    #[test]
    fn wire_spelling() {
        assert_eq!(
            serde_json::to_string(&SystemAdministrator).unwrap(),
            "\"SYSTEM_ADMINISTRATOR\""
        );
        assert_eq!("AUDITOR".parse::<Role>().unwrap(), Auditor);
    }
}
