package frameworks_test

import "testing"

// Neos/Flow trees as the Neos base distribution lays them out.
func TestNeosFlow(t *testing.T) {
	base := map[string]string{
		"flow":          "#!/usr/bin/env php\n",
		"composer.json": `{"name": "neos/neos-base-distribution", "require": {"neos/neos": "^8.3", "neos/site-kickstarter": "^8.3"}}`,
		"Configuration/Settings.yaml": `# global
Neos:
  Flow:
    persistence:
      backendOptions:
        driver: pdo_mysql
        charset: utf8mb4
        host: 127.0.0.1
        dbname: neos_dev
        user: root
        password: ''
`,
		"Configuration/Production/Settings.yaml": `Neos:
  Flow:
    persistence:
      backendOptions:
        host: db.internal
        dbname: neos
        user: neos
        password: '%env:DB_PASSWORD%'
`,
		"Configuration/Production/Live/Settings.yaml": `Neos:
  Flow:
    persistence:
      backendOptions:
        port: 3307
`,
		"Configuration/Production/Live/Settings.Database.yaml": `Neos:
  Flow:
    persistence:
      backendOptions:
        dbname: neos_live
`,
		"Configuration/Development/Settings.yaml": "Neos:\n  Flow:\n    persistence:\n      backendOptions:\n        dbname: should_not_be_read\n",
		"Data/Persistent/Resources/":              "",
	}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			if v == "-" {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	persistent := []string{"persistent=/srv/app/Data/Persistent/Resources"}
	runCases(t, []detectCase{
		{
			name: "default context is Development",
			files: with(map[string]string{
				"Configuration/Development/Settings.yaml": "Neos:\n  Flow:\n    persistence:\n      backendOptions:\n        dbname: neos_dev2\n",
			}),
			want: want{framework: "neos", dsn: "mysql://root@127.0.0.1:3306/neos_dev2", fileSets: persistent,
				structure: []string{"neos_neos_eventlog_domain_model_event", "neos_media_domain_model_thumbnail", "cache", "cache_tags"},
				why:       []string{"FLOW_CONTEXT not set", "composer.json requires neos/neos", "thumbnails"},
				source:    "Configuration/Settings.yaml + Configuration/Development/Settings.yaml (Neos.Flow.persistence.backendOptions)"},
		},
		{
			name:  "sub-context, split file, env password url-encoded",
			files: base,
			env:   envOf("FLOW_CONTEXT", "Production/Live", "DB_PASSWORD", "p@ss/w:rd"),
			want: want{framework: "neos", dsn: "mysql://neos:p%40ss%2Fw%3Ard@db.internal:3307/neos_live", password: "p@ss/w:rd",
				fileSets: persistent, why: []string{"FLOW_CONTEXT=Production/Live", "from environment variable DB_PASSWORD"},
				source: "Configuration/Production/Live/Settings.Database.yaml"},
		},
		{
			name:  "unset env var gives empty password and a note",
			files: base,
			env:   envOf("FLOW_CONTEXT", "Production"),
			want: want{framework: "neos", dsn: "mysql://neos@db.internal:3306/neos", fileSets: persistent,
				why: []string{"%env:DB_PASSWORD%, which is not set"}},
		},
		{
			name: "plain Flow on PostgreSQL over a socket",
			files: map[string]string{
				"flow":          "",
				"composer.json": `{"require": {"neos/flow": "^8.3"}}`,
				"Configuration/Settings.yaml": `Neos:
  Flow:
    persistence:
      backendOptions:
        driver: pdo_pgsql
        dbname: app
        user: app
        password: "s3cr3t"
        unix_socket: /var/run/postgresql/.s.PGSQL.5432
`,
			},
			want: want{framework: "flow", dsn: "postgres://app:s3cr3t@/app?host=%2Fvar%2Frun%2Fpostgresql", password: "s3cr3t",
				fileSets: persistent, why: []string{"does not exist (yet)"}},
		},
		{
			name:  "Neos from installed package, no settings at all",
			files: map[string]string{"flow": "", "Configuration/": "", "Packages/Application/Neos.Neos/": ""},
			want:  want{framework: "neos", fileSets: persistent, why: []string{"Neos.Neos is installed", "no database connection found"}},
		},
	})
}
