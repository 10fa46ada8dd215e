package mysql

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// LoadMode says as which account an import runs the dump's statements.
type LoadMode int

const (
	// LoadAsUser: as the account of the Config, which lacks CREATE USER or GRANT
	// OPTION. Triggers and events of the dump then run as that account.
	LoadAsUser LoadMode = iota
	// LoadAsLimited: as the account synco_<hash of the target> (see the package doc,
	// Security), which has privileges on the target and the staging database only.
	LoadAsLimited
)

func (m LoadMode) String() string {
	if m == LoadAsLimited {
		return "limited account with privileges on the target database only"
	}
	return "the given account"
}

// LoadAccountMode tells as which account Import would load a dump into the database
// named in cfg: LoadAsLimited when the account of cfg has CREATE USER and GRANT
// OPTION. Errors: as Import's connection errors.
func LoadAccountMode(ctx context.Context, cfg *Config) (LoadMode, error) {
	srv, err := open(ctx, cfg.WithDatabase(""))
	if err != nil {
		return LoadAsUser, err
	}
	defer srv.db.Close()
	ok, err := canCreateAccounts(ctx, srv.db)
	if err != nil || !ok {
		return LoadAsUser, err
	}
	return LoadAsLimited, nil
}

// canCreateAccounts: the current account holds CREATE USER and may grant.
func canCreateAccounts(ctx context.Context, db *sql.DB) (bool, error) {
	var create, grant int
	err := db.QueryRowContext(ctx, `SELECT COALESCE(SUM(PRIVILEGE_TYPE = 'CREATE USER'), 0), COALESCE(SUM(IS_GRANTABLE = 'YES'), 0)
		FROM information_schema.USER_PRIVILEGES
		WHERE GRANTEE = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')`).Scan(&create, &grant)
	if err != nil {
		return false, fmt.Errorf("read privileges: %w", err)
	}
	return create > 0 && grant > 0, nil
}

// accountName is the loading account of a target database: one per target, so the
// triggers and events it defines keep working between imports.
// LoadAccount is the name of the limited account that loads dumps into the
// database target (LoadAsLimited). It is kept between installs: the views,
// triggers and routines of the dump run as it (their DEFINER).
func LoadAccount(target string) string { return accountName(target) }

func accountName(target string) string {
	h := sha256.Sum256([]byte(target))
	return "synco_" + hex.EncodeToString(h[:8])
}

// grantDB quotes a database name for GRANT, where _ and % are wildcards.
func grantDB(name string) string {
	r := strings.NewReplacer(`\`, `\\`, "_", `\_`, "%", `\%`)
	return quoteIdent(r.Replace(name))
}

// randomPassword satisfies the usual password-policy plugins (upper, lower, digit,
// special character, length).
func randomPassword() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return "Sy" + hex.EncodeToString(b[:]) + "-1a"
}

// loadAccount is the limited account an import loads as.
type loadAccount struct {
	account string // `user`@`host`
	stage   string
	db      *sql.DB // logged in as the account
}

// openLoadAccount creates (or takes over) the target's loading account with a fresh
// password and privileges on target and stage only, and logs in as it. The host is
// the one the server sees this client connect from, so the account matches the way
// we connect (socket: localhost; TCP: the client's address). nil, nil: the server
// does not let us, load as the given account.
func openLoadAccount(ctx context.Context, admin *sql.DB, cfg *Config, target, stage string) (*loadAccount, error) {
	ok, err := canCreateAccounts(ctx, admin)
	if err != nil || !ok {
		return nil, err
	}
	var who string
	if err := admin.QueryRowContext(ctx, "SELECT USER()").Scan(&who); err != nil {
		return nil, fmt.Errorf("read client host: %w", err)
	}
	host := who[strings.LastIndexByte(who, '@')+1:]
	user := accountName(target)
	la := &loadAccount{account: quoteIdent(user) + "@" + quoteIdent(host), stage: stage}
	pw := randomPassword()
	for _, q := range []string{
		"CREATE USER IF NOT EXISTS " + la.account + " IDENTIFIED BY '" + pw + "'",
		"ALTER USER " + la.account + " IDENTIFIED BY '" + pw + "'",
		"GRANT ALL PRIVILEGES ON " + grantDB(target) + ".* TO " + la.account,
		"GRANT ALL PRIVILEGES ON " + grantDB(stage) + ".* TO " + la.account,
	} {
		if _, err := admin.ExecContext(ctx, q); err != nil {
			// the statement holds the password: never put it in the error
			return nil, fmt.Errorf("set up loading account %s: %w", la.account, err)
		}
	}
	lc := *cfg
	lc.User, lc.Password, lc.Database = user, pw, ""
	srv, err := open(ctx, &lc)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("log in as loading account %s: %w", la.account, err), la.close(ctx, admin))
	}
	la.db = srv.db
	return la, nil
}

// close logs out, takes the staging privileges back and sets a password nobody
// knows: the account stays as the definer of the target's triggers and events.
func (la *loadAccount) close(ctx context.Context, admin *sql.DB) error {
	if la.db != nil {
		la.db.Close()
	}
	var errs []error
	if _, err := admin.ExecContext(ctx, "REVOKE ALL PRIVILEGES ON "+grantDB(la.stage)+".* FROM "+la.account); err != nil {
		errs = append(errs, fmt.Errorf("revoke staging privileges of %s: %w", la.account, err))
	}
	if _, err := admin.ExecContext(ctx, "ALTER USER "+la.account+" IDENTIFIED BY '"+randomPassword()+"'"); err != nil {
		errs = append(errs, fmt.Errorf("reset password of %s: %w", la.account, err))
	}
	return errors.Join(errs...)
}
