package main

import (
	"bufio"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
)

// netBuffer is mysqldump's default net_buffer_length: an extended INSERT is
// cut before it would grow past it, so an inserted or grown row shifts the
// statement boundaries after it, as with the real dumper.
const netBuffer = 1046528

// Shares of the dump per table (day 1) and approximate mean row sizes,
// used to derive row counts from -size.
var sqlPlan = []struct {
	table string
	share float64
	row   float64
}{
	{"cache_entries", 0.16, 8300},
	{"content", 0.45, 3100},
	{"event_log", 0.16, 280},
	{"orders", 0.14, 350},
	{"sessions", 0.05, 1700},
	{"users", 0.04, 290},
}

// Day-2 change rates.
const (
	editRate      = 0.01   // rows edited in place (content, users, orders)
	deleteRate    = 0.0005 // content rows deleted
	appendContent = 0.002  // new content rows
	appendUsers   = 0.002
	appendOrders  = 0.01
	appendLog     = 0.02
	sessionKeep   = 0.5 // day-1 sessions still alive on day 2
)

var epoch = time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)

type sqlGen struct {
	seed  uint64
	day   int
	now   time.Time
	v     *vocab
	w     *bufio.Writer
	stmt  []byte
	row   []byte
	table string
}

func tableSalt(table string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(table))
	return h.Sum64()
}

// rng returns the generator of one row aspect: the same (seed, table, id,
// salt) always yields the same values, whichever day is generated.
func (g *sqlGen) rng(table string, id int, salt uint64) *rand.Rand {
	return rand.New(rand.NewPCG(g.seed^tableSalt(table), uint64(id)<<8|salt))
}

const (
	saltBase = iota
	saltEdit
	saltDecide
	saltDay2
	saltDir // bench/gen/files.go: when a day-2 deletion happened
)

// edited reports whether row id of table is edited on day 2.
func (g *sqlGen) edited(table string, id int) bool {
	return g.day >= 2 && g.rng(table, id, saltDecide).Float64() < editRate
}

func (g *sqlGen) deleted(table string, id int) bool {
	return g.day >= 2 && g.rng(table, id, saltDecide).Float64() > 1-deleteRate
}

func genSQL(w io.Writer, seed uint64, day int, size int64) error {
	g := &sqlGen{
		seed: seed, day: day,
		now: time.Date(2025, 3, 10, 2, 0, 0, 0, time.UTC).AddDate(0, 0, day-1),
		v:   newVocab(seed, 6000),
		w:   bufio.NewWriterSize(w, 1<<20),
	}
	counts := map[string]int{}
	for _, p := range sqlPlan {
		counts[p.table] = max(1, int(float64(size)*p.share/p.row))
	}
	g.header()
	g.cache(counts["cache_entries"])
	g.content(counts["content"], counts["users"])
	g.log(counts["event_log"])
	g.orders(counts["orders"], counts["users"])
	g.sessions(counts["sessions"], counts["users"])
	g.users(counts["users"])
	g.footer()
	return g.w.Flush()
}

func grow(n int, rate float64, day int) int {
	if day < 2 {
		return n
	}
	return n + int(math.Ceil(float64(n)*rate))
}

func (g *sqlGen) header() {
	fmt.Fprintf(g.w, `-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
--
-- Host: localhost    Database: cms
-- ------------------------------------------------------
-- Server version	8.0.36

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!50503 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;
`)
}

func (g *sqlGen) footer() {
	fmt.Fprintf(g.w, `/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

-- Dump completed on %s
`, g.now.Add(7*time.Minute+time.Duration(g.day*13)*time.Second).Format("2006-01-02 15:04:05"))
}

func (g *sqlGen) begin(table, create string, autoInc int) {
	g.table = table
	fmt.Fprintf(g.w, "\n--\n-- Table structure for table `%s`\n--\n\nDROP TABLE IF EXISTS `%s`;\n", table, table)
	fmt.Fprintf(g.w, "/*!40101 SET @saved_cs_client     = @@character_set_client */;\n/*!50503 SET character_set_client = utf8mb4 */;\n")
	ai := ""
	if autoInc > 0 {
		ai = " AUTO_INCREMENT=" + strconv.Itoa(autoInc)
	}
	fmt.Fprintf(g.w, "CREATE TABLE `%s` (\n%s\n) ENGINE=InnoDB%s DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;\n", table, create, ai)
	fmt.Fprintf(g.w, "/*!40101 SET character_set_client = @saved_cs_client */;\n\n--\n-- Dumping data for table `%s`\n--\n\n", table)
	fmt.Fprintf(g.w, "LOCK TABLES `%s` WRITE;\n/*!40000 ALTER TABLE `%s` DISABLE KEYS */;\n", table, table)
}

// emit adds the row in g.row to the current extended INSERT.
func (g *sqlGen) emit() {
	if len(g.stmt) > 0 && len(g.stmt)+1+len(g.row)+2 > netBuffer {
		g.flushStmt()
	}
	if len(g.stmt) == 0 {
		g.stmt = append(g.stmt, "INSERT INTO `"...)
		g.stmt = append(g.stmt, g.table...)
		g.stmt = append(g.stmt, "` VALUES "...)
	} else {
		g.stmt = append(g.stmt, ',')
	}
	g.stmt = append(g.stmt, g.row...)
}

func (g *sqlGen) flushStmt() {
	if len(g.stmt) == 0 {
		return
	}
	g.w.Write(g.stmt)
	g.w.WriteString(";\n")
	g.stmt = g.stmt[:0]
}

func (g *sqlGen) end() {
	g.flushStmt()
	fmt.Fprintf(g.w, "/*!40000 ALTER TABLE `%s` ENABLE KEYS */;\nUNLOCK TABLES;\n", g.table)
}

// SQL value helpers (mysqldump quoting).

func escStr(b, s []byte) []byte {
	b = append(b, '\'')
	for _, c := range s {
		switch c {
		case 0:
			b = append(b, '\\', '0')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\\', '\'', '"':
			b = append(b, '\\', c)
		case 0x1a:
			b = append(b, '\\', 'Z')
		default:
			b = append(b, c)
		}
	}
	return append(b, '\'')
}

func qs(b []byte, s string) []byte { return escStr(b, []byte(s)) }
func num(b []byte, n int) []byte   { return strconv.AppendInt(b, int64(n), 10) }
func dt(b []byte, t time.Time) []byte {
	b = append(b, '\'')
	b = t.AppendFormat(b, "2006-01-02 15:04:05")
	return append(b, '\'')
}

func randBytes(r *rand.Rand, n int) []byte {
	out := make([]byte, (n+7)&^7)
	for i := 0; i < len(out); i += 8 {
		v := r.Uint64()
		for j := range 8 {
			out[i+j] = byte(v >> (8 * j))
		}
	}
	return out[:n]
}

// logNormal returns a log-normally distributed size around median, clamped.
func logNormal(r *rand.Rand, median, sigma float64, lo, hi int) int {
	n := int(median * math.Exp(r.NormFloat64()*sigma))
	return min(max(n, lo), hi)
}

// sortedKeys returns n keys made by key(i), sorted, with their indexes.
type keyed struct {
	key string
	i   int
}

func sortedKeys(idx []int, key func(i int) string) []keyed {
	ks := make([]keyed, len(idx))
	for j, i := range idx {
		ks[j] = keyed{key(i), i}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		if a.key < b.key {
			return -1
		}
		if a.key > b.key {
			return 1
		}
		return 0
	})
	return ks
}

func hexKey(r *rand.Rand, n int) string { return hex.EncodeToString(randBytes(r, n)) }
func b64(b []byte) string               { return base64.StdEncoding.EncodeToString(b) }
