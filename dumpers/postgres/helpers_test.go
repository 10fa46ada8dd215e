package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"synco/dumpers"
	"synco/dumpers/dumperstest"
	"synco/dumpers/postgres"
	"synco/internal/testenv"
)

const serverDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// server returns the config of the test server's maintenance database, or
// skips (fails with CI=true) when it is unreachable.
func server(t *testing.T) *postgres.Config {
	t.Helper()
	cfg, err := postgres.ParseDSN(serverDSN)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), serverDSN)
	testenv.Require(t, "PostgreSQL at "+cfg.String(), err)
	conn.Close(t.Context())
	return cfg
}

func randSuffix() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// newDB creates an empty, uniquely named database dropped at cleanup.
func newDB(t *testing.T, prefix string) *postgres.Config {
	t.Helper()
	cfg := server(t)
	name := "synco_test_" + prefix + "_" + randSuffix()
	admin(t, "CREATE DATABASE "+name)
	t.Cleanup(func() { dropDB(name) })
	return cfg.WithDatabase(name)
}

func dropDB(name string) {
	conn, err := pgx.Connect(context.Background(), serverDSN)
	if err != nil {
		return
	}
	defer conn.Close(context.Background())
	conn.Exec(context.Background(), `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`)
}

func admin(t *testing.T, sql string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), serverDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	if _, err := conn.Exec(t.Context(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func dbConn(t *testing.T, cfg *postgres.Config) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), strings.Replace(serverDSN, "/postgres?", "/"+cfg.Database+"?", 1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func runFile(t *testing.T, cfg *postgres.Config, file string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := postgres.RunScript(t.Context(), cfg, f); err != nil {
		t.Fatalf("load %s: %v", file, err)
	}
}

var (
	pagilaOnce sync.Once
	pagilaTpl  string
	pagilaErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if pagilaTpl != "" {
		dropDB(pagilaTpl)
	}
	os.Exit(code)
}

// loadPagila creates a database holding Pagila; refresh populates the matview.
// Pagila is loaded (with our own script runner) once into a template database.
func loadPagila(t *testing.T, refresh bool) *postgres.Config {
	t.Helper()
	srv := server(t)
	pagilaDir := testenv.RealData(t, "pagila")
	pagilaOnce.Do(func() {
		name := "synco_test_pagila_tpl_" + randSuffix()
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, serverDSN)
		if err != nil {
			pagilaErr = err
			return
		}
		defer conn.Close(ctx)
		if _, pagilaErr = conn.Exec(ctx, "CREATE DATABASE "+name); pagilaErr != nil {
			return
		}
		pagilaTpl = name
		for _, f := range []string{"pagila-schema.sql", "pagila-data.sql"} {
			r, err := os.Open(filepath.Join(pagilaDir, f))
			if err != nil {
				pagilaErr = err
				return
			}
			pagilaErr = postgres.RunScript(ctx, srv.WithDatabase(name), r)
			r.Close()
			if pagilaErr != nil {
				pagilaErr = fmt.Errorf("load %s: %w", f, pagilaErr)
				return
			}
		}
	})
	if pagilaErr != nil {
		t.Fatal(pagilaErr)
	}
	name := "synco_test_pagila_" + randSuffix()
	admin(t, "CREATE DATABASE "+name+" TEMPLATE "+pagilaTpl)
	t.Cleanup(func() { dropDB(name) })
	cfg := srv.WithDatabase(name)
	if refresh {
		if _, err := dbConn(t, cfg).Exec(t.Context(), "REFRESH MATERIALIZED VIEW public.rental_by_category"); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}

func dump(t *testing.T, cfg *postgres.Config, opt dumpers.Options) *dumperstest.Mem {
	t.Helper()
	s := dumperstest.NewMem()
	if err := postgres.NewDumper(cfg).Dump(t.Context(), s, opt); err != nil {
		t.Fatalf("dump: %v", err)
	}
	return s
}
