package scrub

import (
	"strings"
	"unicode"
)

// LooksPersonal returns why a column name looks like it holds personal data
// ("" if it does not): e-mail, phone, IP address, names, postal address, birth
// date, bank account, identity numbers, passwords.
func LooksPersonal(column string) string { return personalName(column) }

// personal words of column names, matched against the name's words (split at
// non-letters and camelCase) and against adjacent pairs of them.
var personalWords = map[string]string{
	"email": "e-mail", "mail": "e-mail", "emailaddress": "e-mail", "mailaddress": "e-mail",
	"phone": "phone number", "telephone": "phone number", "tel": "phone number", "mobile": "phone number",
	"fax": "phone number", "phonenumber": "phone number", "cellphone": "phone number", "msisdn": "phone number",
	"ip": "IP address", "ipaddress": "IP address", "ipaddr": "IP address", "remoteaddr": "IP address",
	"firstname": "name", "lastname": "name", "surname": "name", "forename": "name", "givenname": "name",
	"familyname": "name", "fullname": "name", "displayname": "name", "nickname": "name", "nicename": "name",
	"street": "postal address", "address": "postal address", "zip": "postal address", "zipcode": "postal address",
	"postcode": "postal address", "postalcode": "postal address",
	"birthday": "birth date", "birthdate": "birth date", "dob": "birth date", "dateofbirth": "birth date",
	"iban": "bank account", "bic": "bank account", "swift": "bank account",
	"ssn": "identity number", "passport": "identity number", "taxid": "identity number",
	"password": "password", "passwd": "password", "pwd": "password", "pass": "password",
}

// notData are last words of column names about personal data rather than holding it.
var notData = map[string]bool{"at": true, "verified": true, "confirmed": true, "sent": true, "count": true,
	"enabled": true, "status": true, "type": true, "optin": true, "flag": true}

func personalName(column string) string {
	words := splitWords(column)
	if len(words) > 1 && notData[words[len(words)-1]] {
		return "" // email_verified_at, phone_confirmed: about the data, not the data
	}
	for i, w := range words {
		if why, ok := personalWords[w]; ok {
			return "its name looks like " + why
		}
		if i+1 < len(words) {
			if why, ok := personalWords[w+words[i+1]]; ok {
				return "its name looks like " + why
			}
		}
		switch {
		case strings.Contains(w, "mail"):
			return "its name looks like e-mail"
		case strings.Contains(w, "phone"):
			return "its name looks like phone number"
		}
	}
	return ""
}

// splitWords lowercases name and splits it at non-letters/digits and at
// lower→upper case changes (userEmail → user, email).
func splitWords(name string) []string {
	var words []string
	var cur []rune
	prevLower := false
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
	}
	for _, r := range name {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
			prevLower = false
			continue
		case unicode.IsUpper(r) && prevLower:
			flush()
		}
		prevLower = unicode.IsLower(r)
		cur = append(cur, unicode.ToLower(r))
	}
	flush()
	return words
}
