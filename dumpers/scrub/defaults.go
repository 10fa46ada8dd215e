package scrub

import (
	"fmt"
	"strings"
)

// Defaults returns the built-in rules for a framework's tables (names get
// prefix) and the tables to publish without rows.
func Defaults(framework, prefix string) (specs []Spec, structureOnly []string) {
	switch framework {
	case "neos", "flow":
		framework = "neos/flow"
	case "generic":
		framework = "symfony"
	case "laravel":
		structureOnly = append(structureOnly, prefix+"password_reset_tokens", prefix+"password_resets")
	}
	for _, line := range strings.Split(defaultRules[framework], "\n") {
		table, cols, _ := strings.Cut(strings.TrimSpace(line), " ")
		if table == "" || table == "#" {
			continue
		}
		for _, c := range strings.Fields(cols) {
			s, err := ParseSpec(table + "." + c)
			if err != nil {
				panic(fmt.Sprintf("scrub: default rule %s.%s: %v", table, c, err)) // a typo in the table below
			}
			s.Table = prefix + s.Table
			specs = append(specs, s)
		}
	}
	return specs, structureOnly
}

// defaultRules are the built-in rules per framework: lines of a table (before
// its prefix) and columns as ParseSpec reads them after "table.", in order (a
// table may take several lines); "# " starts a comment. Kept as text, not as
// calls: the calls took 23 KB of synco-lite's code.
var defaultRules = map[string]string{
	"wordpress": `
		users user_login=username user_nicename=username user_email=email display_name=name user_pass=password
		users user_url=empty user_activation_key=empty
		usermeta meta_value[meta_key=first_name]=first_name meta_value[meta_key=last_name]=last_name
		usermeta meta_value[meta_key=nickname]=username meta_value[meta_key=description]=text
		usermeta meta_value[meta_key=session_tokens]=empty meta_value[meta_key=billing_first_name]=first_name
		usermeta meta_value[meta_key=billing_last_name]=last_name meta_value[meta_key=billing_company]=text
		usermeta meta_value[meta_key=billing_address_1]=address meta_value[meta_key=billing_address_2]=address
		usermeta meta_value[meta_key=billing_city]=text meta_value[meta_key=billing_postcode]=phone
		usermeta meta_value[meta_key=billing_phone]=phone meta_value[meta_key=billing_email]=email
		usermeta meta_value[meta_key=shipping_first_name]=first_name meta_value[meta_key=shipping_last_name]=last_name
		usermeta meta_value[meta_key=shipping_company]=text meta_value[meta_key=shipping_address_1]=address
		usermeta meta_value[meta_key=shipping_address_2]=address meta_value[meta_key=shipping_city]=text
		usermeta meta_value[meta_key=shipping_postcode]=phone meta_value[meta_key=shipping_phone]=phone
		usermeta meta_value[meta_key=shipping_email]=email
		# comments of every site of a multisite network (wp_comments, wp_2_comments)
		*comments comment_author=name comment_author_email=email comment_author_url=empty comment_author_IP=ip
		*comments comment_agent=empty
		# WooCommerce: orders (HPOS tables, and the post meta of legacy orders), order addresses, customers
		wc_orders billing_email=email ip_address=ip user_agent=empty customer_note=text
		wc_order_addresses first_name=first_name last_name=last_name company=text address_1=address address_2=address
		wc_order_addresses city=text postcode=phone phone=phone email=email
		wc_customer_lookup username=username first_name=first_name last_name=last_name email=email city=text postcode=phone
		postmeta meta_value[meta_key=_billing_first_name]=first_name meta_value[meta_key=_billing_last_name]=last_name
		postmeta meta_value[meta_key=_billing_company]=text meta_value[meta_key=_billing_address_1]=address
		postmeta meta_value[meta_key=_billing_address_2]=address meta_value[meta_key=_billing_city]=text
		postmeta meta_value[meta_key=_billing_postcode]=phone meta_value[meta_key=_billing_phone]=phone
		postmeta meta_value[meta_key=_billing_email]=email meta_value[meta_key=_shipping_first_name]=first_name
		postmeta meta_value[meta_key=_shipping_last_name]=last_name meta_value[meta_key=_shipping_company]=text
		postmeta meta_value[meta_key=_shipping_address_1]=address meta_value[meta_key=_shipping_address_2]=address
		postmeta meta_value[meta_key=_shipping_city]=text meta_value[meta_key=_shipping_postcode]=phone
		postmeta meta_value[meta_key=_shipping_phone]=phone meta_value[meta_key=_shipping_email]=email
		postmeta meta_value[meta_key=_customer_ip_address]=ip meta_value[meta_key=_customer_user_agent]=empty`,
	"drupal": `
		users_field_data name=username mail=email init=email pass=password
		# Drupal 7
		users name=username mail=email init=email pass=password
		comment_field_data name=username mail=email hostname=ip homepage=empty
		# Drupal 7
		comment name=username mail=email hostname=ip homepage=empty`,
	"laravel": `
		users name=name email=email password=password remember_token=null`,
	"neos/flow": `
		# Flow's table names carry the package (neos_flow_…, typo3_flow_… before Flow 4)
		*_flow_security_account accountidentifier=username credentialssource=password
		*_party_domain_model_electronicaddress identifier=hash identifier[type=Email]=email identifier[type=Phone]=phone
		*_party_domain_model_personname title=empty firstname=first_name middlename=first_name lastname=last_name
		*_party_domain_model_personname othername=empty alias=username fullname=name`,
	"typo3": `
		fe_users username=username password=password email=email name=name first_name=first_name
		fe_users middle_name=first_name last_name=last_name address=address telephone=phone fax=phone zip=phone
		fe_users city=text company=text www=empty
		be_users username=username password=password email=email realName=name`,
	"symfony": `
		# Doctrine entities have no fixed tables: go by column name
		* email=email *_email=email password=password first_name=first_name firstname=first_name last_name=last_name
		* lastname=last_name phone=phone phone_number=phone telephone=phone mobile=phone ip=ip ip_address=ip
		* client_ip=ip street=address`,
}
