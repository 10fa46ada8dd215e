package main

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

var nodeTypes = []string{
	"Neos.NodeTypes:Text", "Neos.NodeTypes:Page", "Neos.NodeTypes:Image", "Neos.NodeTypes:TextWithImage",
	"Neos.Neos:ContentCollection", "Vendor.Site:Article", "Vendor.Site:Teaser", "Vendor.Site:Event",
}

func uuid(r *rand.Rand) string {
	b := randBytes(r, 16)
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// at spreads id over [from, to) with jitter.
func at(r *rand.Rand, id, n int, from, to time.Time) time.Time {
	span := to.Sub(from)
	t := from.Add(time.Duration(float64(span) * float64(id) / float64(n+1)))
	return t.Add(time.Duration(r.IntN(3600)) * time.Second).Truncate(time.Second)
}

func (g *sqlGen) content(n, nUsers int) {
	const table = "content"
	total := grow(n, appendContent, g.day)
	g.begin(table, "  `id` int unsigned NOT NULL AUTO_INCREMENT,\n  `node_id` char(36) NOT NULL,\n  `parent_id` int unsigned DEFAULT NULL,\n  `type` varchar(64) NOT NULL,\n  `title` varchar(255) NOT NULL,\n  `body` mediumtext NOT NULL,\n  `properties` json NOT NULL,\n  `author_id` int unsigned NOT NULL,\n  `created_at` datetime NOT NULL,\n  `updated_at` datetime NOT NULL,\n  PRIMARY KEY (`id`),\n  UNIQUE KEY `node_id` (`node_id`),\n  KEY `parent_id` (`parent_id`)", total+1)
	var body, title, props []byte
	day1 := g.now.AddDate(0, 0, 1-g.day)
	for id := 1; id <= total; id++ {
		if id <= n && g.deleted(table, id) {
			continue
		}
		r := g.rng(table, id, saltBase)
		t := g.v.text(r)
		node := uuid(r)
		parent := 0
		if id > 10 {
			parent = 1 + r.IntN(id-1)
		}
		typ := nodeTypes[r.IntN(len(nodeTypes))]
		title = t.title(title[:0], 3+r.IntN(6))
		body = t.paragraphs(body[:0], logNormal(r, 1900, 0.8, 150, 60000))
		sortIndex := 100 * (1 + r.IntN(50))
		visible := r.IntN(10) != 0
		tags := [][]byte{t.word(), t.word()}
		seo := t.sentence(nil, 8+r.IntN(10))
		author := 1 + r.IntN(nUsers)
		var created time.Time
		if id <= n {
			created = at(r, id, n, epoch, day1.AddDate(0, 0, -2))
		} else {
			created = g.now.Add(-time.Duration(r.IntN(86400)) * time.Second)
		}
		updated := created.Add(time.Duration(r.IntN(30*86400)) * time.Second)
		if updated.After(day1) {
			updated = created
		}
		if id <= n && g.edited(table, id) {
			er := g.rng(table, id, saltEdit)
			et := g.v.text(er)
			updated = g.now.Add(-time.Duration(er.IntN(86400)) * time.Second)
			switch op := er.IntN(10); {
			case op < 6: // rewrite a phrase
				p := er.IntN(len(body))
				q := min(len(body), p+20+er.IntN(200))
				body = slices.Concat(body[:p], et.sentence(nil, 4+er.IntN(20)), body[q:])
			case op < 8: // add a paragraph
				p := er.IntN(len(body))
				body = slices.Concat(body[:p], []byte("\n\n"), et.paragraphs(nil, 200+er.IntN(800)), body[p:])
			case op < 9:
				title = et.title(title[:0], 3+er.IntN(6))
			default:
				sortIndex = 100 * (1 + er.IntN(50))
				visible = !visible
			}
		}
		props = fmt.Appendf(props[:0], `{"layout":"%s","sortIndex":%d,"hidden":%t,"tags":["%s","%s"],"seo":{"description":"%s"},"image":{"identifier":"%s"}}`,
			g.v.words[r.IntN(20)], sortIndex, !visible, tags[0], tags[1], seo, uuid(r))

		b := append(g.row[:0], '(')
		b = num(b, id)
		b = append(b, ',')
		b = qs(b, node)
		b = append(b, ',')
		b = numOrNull(b, parent)
		b = append(b, ',')
		b = qs(b, typ)
		b = append(b, ',')
		b = escStr(b, title)
		b = append(b, ',')
		b = escStr(b, body)
		b = append(b, ',')
		b = escStr(b, props)
		b = append(b, ',')
		b = num(b, author)
		b = append(b, ',')
		b = dt(b, created)
		b = append(b, ',')
		b = dt(b, updated)
		g.row = append(b, ')')
		g.emit()
	}
	g.end()
}

var roles = []string{`["Neos.Neos:Editor"]`, `["Neos.Neos:Administrator"]`, `["Neos.Neos:Editor","Vendor.Site:Reviewer"]`, `[]`}
var locales = []string{"de", "en", "fr", "it", "nl"}

func (g *sqlGen) users(n int) {
	const table = "users"
	total := grow(n, appendUsers, g.day)
	g.begin(table, "  `id` int unsigned NOT NULL AUTO_INCREMENT,\n  `email` varchar(255) NOT NULL,\n  `name` varchar(255) NOT NULL,\n  `password_hash` varchar(255) NOT NULL,\n  `roles` json NOT NULL,\n  `settings` json NOT NULL,\n  `created_at` datetime NOT NULL,\n  `last_login` datetime DEFAULT NULL,\n  PRIMARY KEY (`id`),\n  UNIQUE KEY `email` (`email`)", total+1)
	day1 := g.now.AddDate(0, 0, 1-g.day)
	for id := 1; id <= total; id++ {
		r := g.rng(table, id, saltBase)
		t := g.v.text(r)
		email := fmt.Sprintf("%s.%s%d@%s.example", t.word(), t.word(), id, t.word())
		name := string(t.title(nil, 2))
		hash := "$2y$10$" + b64(randBytes(r, 40))[:53]
		role := roles[r.IntN(len(roles))]
		locale := locales[r.IntN(len(locales))]
		news := r.IntN(2) == 0
		created := at(r, id, n, epoch, day1)
		if id > n {
			created = g.now.Add(-time.Duration(r.IntN(86400)) * time.Second)
		}
		login := created.Add(time.Duration(r.IntN(200*86400)) * time.Second)
		if login.After(day1) {
			login = day1.Add(-time.Duration(r.IntN(86400)) * time.Second)
		}
		if id <= n && g.edited(table, id) {
			er := g.rng(table, id, saltEdit)
			login = g.now.Add(-time.Duration(er.IntN(86400)) * time.Second)
			if er.IntN(4) == 0 {
				hash = "$2y$10$" + b64(randBytes(er, 40))[:53]
			}
			if er.IntN(3) == 0 {
				locale = locales[er.IntN(len(locales))]
				news = !news
			}
		}
		b := append(g.row[:0], '(')
		b = num(b, id)
		b = append(b, ',')
		b = qs(b, email)
		b = append(b, ',')
		b = qs(b, name)
		b = append(b, ',')
		b = qs(b, hash)
		b = append(b, ',')
		b = qs(b, role)
		b = append(b, ',')
		b = qs(b, fmt.Sprintf(`{"locale":"%s","newsletter":%t,"editor":{"theme":"%s","fontSize":%d}}`, locale, news, t.word(), 12+r.IntN(6)))
		b = append(b, ',')
		b = dt(b, created)
		b = append(b, ',')
		b = dt(b, login)
		g.row = append(b, ')')
		g.emit()
	}
	g.end()
}

var statuses = []string{"pending", "paid", "shipped", "delivered", "cancelled", "refunded"}
var currencies = []string{"EUR", "EUR", "EUR", "CHF", "USD"}

func (g *sqlGen) orders(n, nUsers int) {
	const table = "orders"
	total := grow(n, appendOrders, g.day)
	g.begin(table, "  `id` bigint unsigned NOT NULL AUTO_INCREMENT,\n  `user_id` int unsigned NOT NULL,\n  `status` varchar(16) NOT NULL,\n  `total` decimal(12,2) NOT NULL,\n  `currency` char(3) NOT NULL,\n  `items` json NOT NULL,\n  `shipping_address` text NOT NULL,\n  `created_at` datetime NOT NULL,\n  `updated_at` datetime NOT NULL,\n  PRIMARY KEY (`id`),\n  KEY `user_id` (`user_id`)", total+1)
	day1 := g.now.AddDate(0, 0, 1-g.day)
	var items []byte
	for id := 1; id <= total; id++ {
		r := g.rng(table, id, saltBase)
		t := g.v.text(r)
		user := 1 + r.IntN(nUsers)
		items = append(items[:0], '[')
		cents := 0
		for i := range 1 + r.IntN(4) {
			if i > 0 {
				items = append(items, ',')
			}
			price, qty := 199+r.IntN(20000), 1+r.IntN(3)
			cents += price * qty
			items = fmt.Appendf(items, `{"sku":"%c%c-%05d","name":"%s","qty":%d,"price":"%d.%02d"}`,
				'A'+r.IntN(26), 'A'+r.IntN(26), r.IntN(100000), t.title(nil, 2+r.IntN(3)), qty, price/100, price%100)
		}
		items = append(items, ']')
		addr := fmt.Sprintf("%s\n%s %d\n%05d %s\n%s", t.title(nil, 2), t.title(nil, 1), 1+r.IntN(200), r.IntN(100000), t.title(nil, 1), []string{"DE", "AT", "CH", "FR", "NL"}[r.IntN(5)])
		cur := currencies[r.IntN(len(currencies))]
		created := at(r, id, n, epoch, day1)
		status := statuses[min(len(statuses)-1, r.IntN(8))]
		if id > n {
			created = g.now.Add(-time.Duration(r.IntN(86400)) * time.Second)
			status = "pending"
		}
		updated := created.Add(time.Duration(r.IntN(10*86400)) * time.Second)
		if updated.After(day1) {
			updated = created
		}
		if id <= n && g.edited(table, id) {
			er := g.rng(table, id, saltEdit)
			status = statuses[er.IntN(len(statuses))]
			updated = g.now.Add(-time.Duration(er.IntN(86400)) * time.Second)
		}
		b := append(g.row[:0], '(')
		b = num(b, id)
		b = append(b, ',')
		b = num(b, user)
		b = append(b, ',')
		b = qs(b, status)
		b = append(b, ',')
		b = fmt.Appendf(b, "%d.%02d", cents/100, cents%100)
		b = append(b, ',')
		b = qs(b, cur)
		b = append(b, ',')
		b = escStr(b, items)
		b = append(b, ',')
		b = qs(b, addr)
		b = append(b, ',')
		b = dt(b, created)
		b = append(b, ',')
		b = dt(b, updated)
		g.row = append(b, ')')
		g.emit()
	}
	g.end()
}

var levels = []string{"INFO", "INFO", "INFO", "INFO", "DEBUG", "DEBUG", "NOTICE", "WARNING", "ERROR"}
var channels = []string{"app", "security", "request", "doctrine", "mailer", "cache"}

func (g *sqlGen) log(n int) {
	const table = "event_log"
	total := grow(n, appendLog, g.day)
	g.begin(table, "  `id` bigint unsigned NOT NULL AUTO_INCREMENT,\n  `created_at` datetime(6) NOT NULL,\n  `level` varchar(16) NOT NULL,\n  `channel` varchar(32) NOT NULL,\n  `message` text NOT NULL,\n  `context` json DEFAULT NULL,\n  PRIMARY KEY (`id`),\n  KEY `created_at` (`created_at`)", total+1)
	day1 := g.now.AddDate(0, 0, 1-g.day)
	start := day1.AddDate(0, 0, -90)
	step := day1.Sub(start) / time.Duration(n)
	for id := 1; id <= total; id++ {
		r := g.rng(table, id, saltBase)
		t := g.v.text(r)
		ts := start.Add(step*time.Duration(id) + time.Duration(r.IntN(int(step/time.Microsecond)))*time.Microsecond)
		b := append(g.row[:0], '(')
		b = num(b, id)
		b = append(b, ",'"...)
		b = ts.AppendFormat(b, "2006-01-02 15:04:05.000000")
		b = append(b, "',"...)
		b = qs(b, levels[r.IntN(len(levels))])
		b = append(b, ',')
		b = qs(b, channels[r.IntN(len(channels))])
		b = append(b, ',')
		b = escStr(b, t.sentence(nil, 6+r.IntN(16)))
		b = append(b, ',')
		b = qs(b, fmt.Sprintf(`{"ip":"10.%d.%d.%d","user":%d,"request_id":"%s","uri":"/%s/%s","duration_ms":%d}`,
			r.IntN(256), r.IntN(256), r.IntN(256), r.IntN(5000), hexKey(r, 8), t.word(), t.word(), r.IntN(2000)))
		g.row = append(b, ')')
		g.emit()
	}
	g.end()
}

func (g *sqlGen) cache(n int) {
	const table = "cache_entries"
	g.begin(table, "  `identifier` varchar(250) NOT NULL,\n  `cache` varchar(250) NOT NULL,\n  `context` varchar(150) NOT NULL,\n  `expires` int unsigned NOT NULL,\n  `content` mediumtext NOT NULL,\n  `tags` varchar(1000) NOT NULL DEFAULT '',\n  PRIMARY KEY (`identifier`,`cache`,`context`)", 0)
	// The cache is refilled every day: day d's entries are indexes
	// [d*n*10, d*n*10+n), so no key or blob survives a day.
	idx := make([]int, n)
	for i := range idx {
		idx[i] = g.day*n*10 + i
	}
	ks := sortedKeys(idx, func(i int) string { return hexKey(g.rng(table, i, saltBase), 16) })
	for _, k := range ks {
		r := g.rng(table, k.i, saltBase)
		_ = hexKey(r, 16) // the key
		blob := b64(randBytes(r, logNormal(r, 4000, 1.0, 64, 400000)))
		b := append(g.row[:0], '(')
		b = qs(b, k.key)
		b = append(b, ",'Flow_Mvc_Routing_Route','production',"...)
		b = num(b, int(g.now.Unix())+r.IntN(86400))
		b = append(b, ',')
		b = qs(b, blob)
		b = append(b, ',')
		b = qs(b, fmt.Sprintf("%%node_%s%% %%tag_%s%%", hexKey(r, 8), hexKey(r, 4)))
		g.row = append(b, ')')
		g.emit()
	}
	g.end()
}

func (g *sqlGen) sessions(n, nUsers int) {
	const table = "sessions"
	g.begin(table, "  `id` varchar(64) NOT NULL,\n  `user_id` int unsigned DEFAULT NULL,\n  `data` mediumtext NOT NULL,\n  `last_active` int unsigned NOT NULL,\n  PRIMARY KEY (`id`)", 0)
	var idx []int
	for i := range n {
		if g.day < 2 || g.rng(table, i, saltDecide).Float64() < sessionKeep {
			idx = append(idx, i)
		}
	}
	if g.day >= 2 {
		for i := n; i < n+n/2; i++ {
			idx = append(idx, i)
		}
	}
	ks := sortedKeys(idx, func(i int) string { return hexKey(g.rng(table, i, saltBase), 20) })
	for _, k := range ks {
		r := g.rng(table, k.i, saltBase)
		_ = hexKey(r, 20)
		user := 0
		if r.IntN(3) != 0 {
			user = 1 + r.IntN(nUsers)
		}
		dr := r
		active := g.now.Add(-time.Duration(24+r.IntN(7*24)) * time.Hour)
		if g.day >= 2 && k.i < n { // a surviving session was used again
			dr = g.rng(table, k.i, saltDay2)
			active = g.now.Add(-time.Duration(dr.IntN(86400)) * time.Second)
		}
		data := b64(randBytes(dr, logNormal(dr, 900, 0.7, 32, 60000)))
		b := append(g.row[:0], '(')
		b = qs(b, k.key)
		b = append(b, ',')
		b = numOrNull(b, user)
		b = append(b, ',')
		b = qs(b, data)
		b = append(b, ',')
		b = num(b, int(active.Unix()))
		g.row = append(b, ')')
		g.emit()
	}
	g.end()
}

// numOrNull appends n, or NULL for 0 (an absent reference).
func numOrNull(b []byte, n int) []byte {
	if n == 0 {
		return append(b, "NULL"...)
	}
	return num(b, n)
}
