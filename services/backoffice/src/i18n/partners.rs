//! The Partner companies menu's words.

use signstash_domain::{CompanyStatus, PartnerKind};

pub struct Texts {
    pub new: &'static str,
    pub create_title: &'static str,
    pub edit_title: &'static str,
    pub code: &'static str,
    pub vat_number: &'static str,
    pub country: &'static str,
    pub country_hint: &'static str,
    pub invoice_address: &'static str,
    pub address: &'static str,
    pub postal_code: &'static str,
    pub city: &'static str,
    pub kind: &'static str,
    pub integrator: &'static str,
    pub reseller: &'static str,
    pub active: &'static str,
    pub inactive: &'static str,
    pub limit: &'static str,
    pub limit_signatures: &'static str,
    pub limit_valid_until: &'static str,
    pub no_limit: &'static str,
    pub set_limit: &'static str,
    pub done_limit: &'static str,
}

impl Texts {
    pub fn kind_name(&self, kind: &PartnerKind) -> &'static str {
        match *kind {
            PartnerKind::Integrator => self.integrator,
            PartnerKind::Reseller => self.reseller,
        }
    }

    pub fn status_name(&self, status: &CompanyStatus) -> &'static str {
        match *status {
            CompanyStatus::Active => self.active,
            CompanyStatus::Inactive => self.inactive,
        }
    }
}

pub const PT_PT: Texts = Texts {
    new: "Nova empresa parceira",
    create_title: "Nova empresa parceira",
    edit_title: "Editar empresa parceira",
    code: "Código",
    vat_number: "NIF",
    country: "País",
    country_hint: "Código de três letras, ex.: PRT.",
    invoice_address: "Morada de faturação",
    address: "Morada",
    postal_code: "Código postal",
    city: "Localidade",
    kind: "Tipo",
    integrator: "Integrador",
    reseller: "Revendedor",
    active: "Ativa",
    inactive: "Inativa",
    limit: "Limite de utilização",
    limit_signatures: "Assinaturas",
    limit_valid_until: "Válido até",
    no_limit: "Sem limite de utilização definido.",
    set_limit: "Guardar limite",
    done_limit: "Limite de utilização guardado.",
};

pub const EN: Texts = Texts {
    new: "New partner company",
    create_title: "New partner company",
    edit_title: "Edit partner company",
    code: "Code",
    vat_number: "VAT number",
    country: "Country",
    country_hint: "Three-letter code, e.g. PRT.",
    invoice_address: "Invoice address",
    address: "Address",
    postal_code: "Postal code",
    city: "City",
    kind: "Type",
    integrator: "Integrator",
    reseller: "Reseller",
    active: "Active",
    inactive: "Inactive",
    limit: "Usage limit",
    limit_signatures: "Signatures",
    limit_valid_until: "Valid until",
    no_limit: "No usage limit set.",
    set_limit: "Save limit",
    done_limit: "Usage limit saved.",
};
