package scrub

import "fmt"

// Defaults are the rules synco applies for a detected framework (the names of
// frameworks.Project.Framework) whose tables start with prefix, and the tables
// whose rows never travel because they hold nothing but secrets (password reset
// tokens). An unknown framework has none: its columns are only checked for names
// and values that look personal (Warnings).
func Defaults(framework, prefix string) (specs []Spec, structureOnly []string) {
	add := func(table, column, rule string) {
		r, err := ParseRule(rule)
		if err != nil {
			panic(fmt.Sprintf("scrub: default rule %q: %v", rule, err)) // a typo in the tables below
		}
		specs = append(specs, Spec{Table: prefix + table, Column: column, Rule: r})
	}
	addKey := func(table, column, key, glob, rule string) {
		add(table, column, rule)
		specs[len(specs)-1].KeyColumn, specs[len(specs)-1].KeyGlob = key, glob
	}
	cols := func(table string, pairs ...string) {
		for i := 0; i+1 < len(pairs); i += 2 {
			add(table, pairs[i], pairs[i+1])
		}
	}
	switch framework {
	case "wordpress":
		cols("users", "user_login", "username", "user_nicename", "username", "user_email", "email",
			"display_name", "name", "user_pass", "password", "user_url", "empty", "user_activation_key", "empty")
		meta := []string{"first_name", "first_name", "last_name", "last_name", "nickname", "username",
			"description", "text", "session_tokens", "empty"}
		for _, who := range []string{"billing", "shipping"} {
			meta = append(meta, who+"_first_name", "first_name", who+"_last_name", "last_name",
				who+"_company", "text", who+"_address_1", "address", who+"_address_2", "address",
				who+"_city", "text", who+"_postcode", "phone", who+"_phone", "phone", who+"_email", "email")
		}
		for i := 0; i < len(meta); i += 2 {
			addKey("usermeta", "meta_value", "meta_key", meta[i], meta[i+1])
		}
		// comments of every site of a multisite network (wp_comments, wp_2_comments)
		cols("*comments", "comment_author", "name", "comment_author_email", "email", "comment_author_url", "empty",
			"comment_author_IP", "ip", "comment_agent", "empty")
		// WooCommerce: orders (HPOS tables, and the post meta of legacy orders),
		// order addresses, customers.
		cols("wc_orders", "billing_email", "email", "ip_address", "ip", "user_agent", "empty", "customer_note", "text")
		cols("wc_order_addresses", "first_name", "first_name", "last_name", "last_name", "company", "text",
			"address_1", "address", "address_2", "address", "city", "text", "postcode", "phone", "phone", "phone", "email", "email")
		cols("wc_customer_lookup", "username", "username", "first_name", "first_name", "last_name", "last_name",
			"email", "email", "city", "text", "postcode", "phone")
		for i := 0; i < len(meta); i += 2 {
			if k := meta[i]; len(k) > 8 && (k[:8] == "billing_" || k[:8] == "shipping") {
				addKey("postmeta", "meta_value", "meta_key", "_"+k, meta[i+1])
			}
		}
		addKey("postmeta", "meta_value", "meta_key", "_customer_ip_address", "ip")
		addKey("postmeta", "meta_value", "meta_key", "_customer_user_agent", "empty")
	case "drupal":
		for _, t := range []string{"users_field_data", "users"} { // users: Drupal 7
			cols(t, "name", "username", "mail", "email", "init", "email", "pass", "password")
		}
		cols("comment_field_data", "name", "username", "mail", "email", "hostname", "ip", "homepage", "empty")
		cols("comment", "name", "username", "mail", "email", "hostname", "ip", "homepage", "empty") // Drupal 7
	case "laravel":
		cols("users", "name", "name", "email", "email", "password", "password", "remember_token", "null")
		structureOnly = append(structureOnly, prefix+"password_reset_tokens", prefix+"password_resets")
	case "neos", "flow", "neos/flow":
		// Flow's table names carry the package (neos_flow_…, typo3_flow_… before Flow 4).
		cols("*_flow_security_account", "accountidentifier", "username", "credentialssource", "password")
		cols("*_party_domain_model_electronicaddress", "identifier", "hash")
		addKey("*_party_domain_model_electronicaddress", "identifier", "type", "Email", "email")
		addKey("*_party_domain_model_electronicaddress", "identifier", "type", "Phone", "phone")
		cols("*_party_domain_model_personname", "title", "empty", "firstname", "first_name", "middlename", "first_name",
			"lastname", "last_name", "othername", "empty", "alias", "username", "fullname", "name")
	case "typo3":
		cols("fe_users", "username", "username", "password", "password", "email", "email", "name", "name",
			"first_name", "first_name", "middle_name", "first_name", "last_name", "last_name", "address", "address",
			"telephone", "phone", "fax", "phone", "zip", "phone", "city", "text", "company", "text", "www", "empty")
		cols("be_users", "username", "username", "password", "password", "email", "email", "realName", "name")
	case "symfony", "generic":
		// Doctrine entities have no fixed tables: go by column name.
		cols("*", "email", "email", "*_email", "email", "password", "password", "first_name", "first_name",
			"firstname", "first_name", "last_name", "last_name", "lastname", "last_name", "phone", "phone",
			"phone_number", "phone", "telephone", "phone", "mobile", "phone", "ip", "ip", "ip_address", "ip",
			"client_ip", "ip", "street", "address")
	}
	return specs, structureOnly
}
