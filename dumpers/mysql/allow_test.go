package mysql

import (
	"errors"
	"strings"
	"testing"

	"synco/dumpers"
)

// checkScript splits a script the way the importer does and checks every
// statement; it returns the first refusal.
func checkScript(stream, script string) (*dumpers.RefusedError, []allowed, error) {
	ck := newChecker(stream)
	var out []allowed
	n := 0
	err := SplitStatements(strings.NewReader(script), func(st []byte) error {
		n++
		a, err := ck.check(n, st)
		if err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	var re *dumpers.RefusedError
	if errors.As(err, &re) {
		return re, out, nil
	}
	return nil, out, err
}

// Shapes from real dumps (edge test database, Sakila) and what a dump may hold.
var allowedScripts = []struct{ stream, sql string }{
	{"schema.sql", schemaHeader + "ALTER DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;\n"},
	{"schema.sql", "DROP TABLE IF EXISTS `we/ird ``name`` ü`;\nCREATE TABLE `we/ird ``name`` ü` (\n  `id` int(11) NOT NULL AUTO_INCREMENT,\n  `col;--` int(11) DEFAULT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB AUTO_INCREMENT=42 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;\n"},
	{"schema.sql", "CREATE TABLE `edge` (\n  `js` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`js`)),\n  `en` enum('a','b','it''s','ü') DEFAULT NULL,\n  `gv` bigint(20) GENERATED ALWAYS AS (`id` * 2) VIRTUAL,\n  `gs` varchar(300) GENERATED ALWAYS AS (concat(`vc`,'!')) STORED,\n  `d` double DEFAULT 1.5e-3\n) ENGINE=InnoDB /*!50100 PARTITION BY HASH (`id`) PARTITIONS 2 */;\n"},
	{"schema.sql", "CREATE TABLE `address` (\n  `city_id` smallint(5) unsigned NOT NULL,\n  `location` geometry NOT NULL,\n  SPATIAL KEY `idx_location` (`location`),\n  CONSTRAINT `fk_address_city` FOREIGN KEY (`city_id`) REFERENCES `city` (`city_id`) ON UPDATE CASCADE\n) ENGINE=InnoDB;\n"},
	{"schema.sql", "DROP SEQUENCE IF EXISTS `seq_order`;\nCREATE TABLE `seq_order` (\n  `next_not_cached_value` bigint(21) NOT NULL\n) ENGINE=InnoDB SEQUENCE=1;\nDO SETVAL(`seq_order`, 150, 0);\nDO SETVAL(`s`, -5, 0);\n"},
	{"schema.sql", "CREATE TABLE `h` (`a` int, `s` timestamp(6) GENERATED ALWAYS AS ROW START, `e` timestamp(6) GENERATED ALWAYS AS ROW END,\n PERIOD FOR SYSTEM_TIME (`s`, `e`)) ENGINE=InnoDB WITH SYSTEM VERSIONING;\n"},
	{"data/edge.sql", "INSERT INTO `edge` (`id`,`a`,`b`) VALUES\n(1,NULL,-3.4028234663852886e+38),\n(2,'it''s',_utf8mb4 X'5C00'),\n(3,0xFFFF,''),\n(4,X'FF',1e300);\n"},
	{"data/we%2Fird%20%60name%60%20%C3%BC.sql", "INSERT INTO `we/ird ``name`` ü` (`id`,`col;--`) VALUES\n(0,1),\n(41,2);\n"},
	{"post.sql", "DROP PROCEDURE IF EXISTS `p_semi`;\nSET sql_mode = 'NO_AUTO_VALUE_ON_ZERO';\nDELIMITER ;;\nCREATE PROCEDURE `p_semi`()\nBEGIN SELECT 'a;b'; SELECT 1; END;;\nDELIMITER ;\n"},
	{"post.sql", "CREATE OR REPLACE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW `sales_by_film_category` AS select `c`.`name` AS `category`,sum(`p`.`amount`) AS `total_sales` from (((((`payment` `p` join `rental` `r` on(`p`.`rental_id` = `r`.`rental_id`)) join `inventory` `i` on(`r`.`inventory_id` = `i`.`inventory_id`)) join `film` `f` on(`i`.`film_id` = `f`.`film_id`)) join `film_category` `fc` on(`f`.`film_id` = `fc`.`film_id`)) join `category` `c` on(`fc`.`category_id` = `c`.`category_id`)) group by `c`.`name` order by sum(`p`.`amount`) desc;\n"},
	{"post.sql", "CREATE VIEW v AS SELECT t.* FROM t USE INDEX (i), u FORCE INDEX (j) WHERE t.a = u.a;\n"},
	{"post.sql", "SET sql_mode = 'STRICT_TRANS_TABLES,STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,TRADITIONAL,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION';\nDELIMITER ;;\n" +
		"CREATE FUNCTION `get_customer_balance`(p_customer_id INT, p_effective_date DATETIME) RETURNS decimal(5,2)\n    READS SQL DATA\n    DETERMINISTIC\nBEGIN\n  #OK, WE NEED TO CALCULATE\n  DECLARE v_rentfees DECIMAL(5,2); #FEES PAID\n  DECLARE EXIT HANDLER FOR NOT FOUND RETURN NULL;\n  SELECT IFNULL(SUM(film.rental_rate),0) INTO v_rentfees\n    FROM film, inventory, rental\n    WHERE film.film_id = inventory.film_id\n      AND rental.customer_id = p_customer_id;\n  RETURN v_rentfees;\nEND;;\n" +
		"CREATE PROCEDURE `rewards_report`(IN min_monthly_purchases TINYINT UNSIGNED, OUT count_rewardees INT)\n    READS SQL DATA\n    COMMENT 'Provides a customizable report on best customers'\nproc: BEGIN\n    /* Some sanity checks... */\n    IF min_monthly_purchases = 0 THEN\n        SELECT 'Minimum monthly purchases parameter must be > 0';\n        LEAVE proc;\n    END IF;\n    SET last_month_start = DATE_SUB(CURRENT_DATE(), INTERVAL 1 MONTH);\n    CREATE TEMPORARY TABLE tmpCustomer (customer_id SMALLINT UNSIGNED NOT NULL PRIMARY KEY);\n    INSERT INTO tmpCustomer (customer_id)\n    SELECT p.customer_id FROM payment AS p GROUP BY customer_id;\n    SELECT c.*\n    FROM tmpCustomer AS t\n    INNER JOIN customer AS c ON t.customer_id = c.customer_id;\n    DROP TABLE tmpCustomer;\nEND;;\n" +
		"CREATE TRIGGER `upd_film` AFTER UPDATE ON `film` FOR EACH ROW BEGIN\n    IF (old.title != new.title) THEN\n        UPDATE film_text\n            SET title=new.title,\n                film_id=new.film_id\n        WHERE film_id=old.film_id;\n    END IF;\n  END;;\n" +
		"CREATE TRIGGER `customer_create_date` BEFORE INSERT ON `customer` FOR EACH ROW SET NEW.create_date = NOW();;\n" +
		"CREATE EVENT `ev_noop` ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' ON COMPLETION NOT PRESERVE DISABLE DO SELECT 1;;\nDELIMITER ;\n"},
	{"post.sql", "SET time_zone = '+00:00';\nSET FOREIGN_KEY_CHECKS = 1;\nSET UNIQUE_CHECKS = 1;\nDROP VIEW IF EXISTS `v`;\nDROP EVENT IF EXISTS `e`;\nDROP TRIGGER IF EXISTS `t`;\nDROP FUNCTION IF EXISTS `f`;\n"},
	{"post.sql", "SET sql_mode = 'ANSI_QUOTES';\nCREATE VIEW \"v\" AS SELECT \"t\".\"a\" FROM \"t\";\n"},
	{"post.sql", "DELIMITER ;;\nCREATE PROCEDURE p() BEGIN DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN END; SET @@session.group_concat_max_len = 10; SELECT NEXTVAL(s), x.1a FROM s, (SELECT 1 AS `1a`) x; END;;\nDELIMITER ;\n"},
}

func TestAllowedShapes(t *testing.T) {
	for i, tc := range allowedScripts {
		re, _, err := checkScript(tc.stream, tc.sql)
		if err != nil || re != nil {
			t.Errorf("%d (%s): refused: %v %v", i, tc.stream, re, err)
		}
	}
}

func TestInvokerRewrite(t *testing.T) {
	_, out, err := checkScript("post.sql", "CREATE OR REPLACE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW `v` AS select 1 AS `a`;\n"+
		"CREATE VIEW w AS SELECT 2;\n"+
		"DELIMITER ;;\nCREATE FUNCTION `f`() RETURNS int\nRETURN 1;;\nCREATE PROCEDURE `p`() BEGIN CREATE VIEW x SQL SECURITY DEFINER AS SELECT 1; END;;\nDELIMITER ;\n")
	if err != nil || len(out) != 4 {
		t.Fatal(err, len(out))
	}
	want := []struct{ stmt, follow string }{
		{"CREATE OR REPLACE ALGORITHM=UNDEFINED SQL SECURITY INVOKER VIEW `v` AS select 1 AS `a`", ""},
		{"CREATE SQL SECURITY INVOKER VIEW w AS SELECT 2", ""},
		{"CREATE FUNCTION `f`() RETURNS int\nRETURN 1", "ALTER FUNCTION `f` SQL SECURITY INVOKER"},
		{"CREATE PROCEDURE `p`() BEGIN CREATE VIEW x SQL SECURITY INVOKER AS SELECT 1; END", "ALTER PROCEDURE `p` SQL SECURITY INVOKER"},
	}
	for i, w := range want {
		if string(out[i].stmt) != w.stmt || out[i].follow != w.follow {
			t.Errorf("%d: %q + %q, want %q + %q", i, out[i].stmt, out[i].follow, w.stmt, w.follow)
		}
	}
}

// Every refused shape, with (part of) the reason it must give.
var refusedScripts = []struct{ stream, sql, reason string }{
	{"schema.sql", "USE `other`", "USE"},
	{"schema.sql", "DROP DATABASE `other`", "DROP DATABASE"},
	{"schema.sql", "DROP SCHEMA IF EXISTS x", "DROP DATABASE"},
	{"schema.sql", "CREATE DATABASE x", "CREATE DATABASE"},
	{"schema.sql", "ALTER DATABASE `other` CHARACTER SET latin1", "ALTER DATABASE with a name"},
	{"schema.sql", "ALTER TABLE t ADD x INT", "ALTER other"},
	{"schema.sql", "DROP TABLE IF EXISTS `other`.`t`", "qualified"},
	{"schema.sql", "DROP TABLE IF EXISTS a, b", "DROP other than"},
	{"schema.sql", "CREATE TABLE `other`.`t` (a INT)", "qualified"},
	{"schema.sql", "CREATE TABLE t (a INT, FOREIGN KEY (a) REFERENCES other.p (a))", "qualified"},
	{"schema.sql", "CREATE TABLE t LIKE other.t", "qualified"},
	{"schema.sql", "CREATE TABLE t (a INT) DATA DIRECTORY = '/tmp'", "DIRECTORY"},
	{"schema.sql", "CREATE TABLE t (a INT) ENGINE=FEDERATED CONNECTION='mysql://u@h/db/t'", "ENGINE"},
	{"schema.sql", "CREATE TABLE t (a INT) ENGINE = `Spider`", "ENGINE"},
	{"schema.sql", "CREATE TABLE t (a INT); DROP DATABASE x", "DROP DATABASE"},
	{"schema.sql", "CREATE TABLE t (a INT) /*!50000 ; SELECT 1 */", "more than one statement"},
	{"schema.sql", "CREATE TABLE t AS SELECT * FROM mysql.user", "system database"},
	{"schema.sql", "CREATE USER x IDENTIFIED BY 'y'", "CREATE USER"},
	{"schema.sql", "CREATE ROLE r", "CREATE ROLE"},
	{"schema.sql", "CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (HOST 'h')", "CREATE SERVER"},
	{"schema.sql", "DROP USER x", "DROP USER"},
	{"schema.sql", "GRANT ALL ON *.* TO x", "GRANT"},
	{"post.sql", "REVOKE ALL ON *.* FROM x", "REVOKE"},
	{"schema.sql", "SET GLOBAL general_log = 1", "SET other"},
	{"schema.sql", "SET @@global.general_log = 1", "SET other"},
	{"schema.sql", "SET PERSIST x = 1", "SET other"},
	{"schema.sql", "SET PASSWORD = 'x'", "SET other"},
	{"schema.sql", "SET ROLE ALL", "SET other"},
	{"schema.sql", "SET DEFAULT ROLE r FOR x", "SET other"},
	{"schema.sql", "SET @@session.sql_log_bin = 0", "SET other"},
	{"schema.sql", "SET sql_log_bin = 0", "SET other"},
	{"schema.sql", "SET NAMES utf8mb4, @x = 1", "SET other"},
	{"schema.sql", "SET sql_mode = 'ORACLE'", "sql_mode ORACLE"},
	{"schema.sql", "SET sql_mode = 'ANSI'", "sql_mode ANSI"},
	{"schema.sql", "SELECT * FROM t INTO OUTFILE '/tmp/x'", "SELECT"},
	{"schema.sql", "SELECT 1", "SELECT"},
	{"schema.sql", "LOAD DATA INFILE '/etc/passwd' INTO TABLE t", "LOAD"},
	{"schema.sql", "LOAD XML LOCAL INFILE '/x' INTO TABLE t", "LOAD"},
	{"schema.sql", "INSTALL SONAME 'ha_connect'", "INSTALL"},
	{"schema.sql", "UNINSTALL PLUGIN x", "UNINSTALL"},
	{"schema.sql", "SHUTDOWN", "SHUTDOWN"},
	{"schema.sql", "KILL 1", "KILL"},
	{"schema.sql", "FLUSH PRIVILEGES", "FLUSH"},
	{"schema.sql", "PREPARE s FROM 'DROP DATABASE x'", "PREPARE"},
	{"schema.sql", "EXECUTE IMMEDIATE 'DROP DATABASE x'", "EXECUTE"},
	{"schema.sql", "HANDLER mysql.user OPEN", "HANDLER"},
	{"schema.sql", "CHANGE MASTER TO MASTER_HOST='h'", "CHANGE"},
	{"schema.sql", "\\! rm -rf /", "backslash"},
	{"schema.sql", "system rm -rf /", "SYSTEM"},
	{"schema.sql", "/*!99999 DROP DATABASE x */ SET NAMES utf8mb4", "DROP DATABASE"},
	{"schema.sql", "SET NAMES utf8mb4 /*! , GLOBAL x = 1", "unterminated executable comment"},
	{"schema.sql", "SET NAMES utf8mb4 /* x", "unterminated comment"},
	{"schema.sql", "DO SETVAL(`other`.`s`, 1, 0)", "DO other"},
	{"schema.sql", "DO SLEEP(10)", "DO other"},
	{"schema.sql", "CREATE VIEW v AS SELECT 1", "CREATE of this kind"},
	{"data/t.sql", "INSERT INTO `t` (`a`) VALUES (1), ((SELECT 1 FROM mysql.user))", "data statement"},
	{"data/t.sql", "INSERT INTO `t` (`a`) VALUES (LOAD_FILE('/etc/passwd'))", "data statement"},
	{"data/t.sql", "INSERT INTO `u` (`a`) VALUES (1)", "another table"},
	{"data/t.sql", "INSERT INTO `other`.`t` (`a`) VALUES (1)", "another table"},
	{"data/t.sql", "INSERT INTO `t` (`a`) VALUES (1) ON DUPLICATE KEY UPDATE a = 2", "data statement"},
	{"data/t.sql", "INSERT INTO `t` (`a`) SELECT 1", "data statement"},
	{"data/t.sql", "DROP TABLE IF EXISTS `t`", "data statement"},
	{"post.sql", "CREATE DEFINER=`root`@`localhost` VIEW v AS SELECT 1", "DEFINER"},
	{"post.sql", "CREATE DEFINER=CURRENT_USER TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 1", "DEFINER"},
	{"post.sql", "CREATE VIEW `other`.`v` AS SELECT 1", "qualified"},
	{"post.sql", "CREATE VIEW v AS SELECT * FROM `other`.`t`", "qualified"},
	{"post.sql", "CREATE VIEW v AS SELECT * FROM other . t", "qualified"},
	{"post.sql", "CREATE VIEW v AS SELECT * FROM other/**/.t", "qualified"},
	{"post.sql", "CREATE VIEW v AS SELECT * FROM t, other.t", "qualified"},
	{"post.sql", "CREATE VIEW v AS SELECT * FROM t other, other.t", "qualified"},
	{"post.sql", "CREATE VIEW v AS SELECT a.b.c FROM t", "qualified"},
	{"post.sql", "CREATE VIEW v AS SELECT other.f(1)", "function qualified"},
	{"post.sql", "CREATE VIEW v AS SELECT x.user FROM t JOIN information_schema.user_privileges x", "system database"},
	{"post.sql", "CREATE VIEW v AS SELECT NEXTVAL(o.s) FROM t AS o", "qualified"},
	{"post.sql", "CREATE VIEW v AS SELECT @@global.secure_file_priv", "GLOBAL"},
	{"post.sql", "CREATE VIEW v AS SELECT LOAD_FILE('/etc/passwd')", "LOAD_FILE"},
	{"post.sql", "CREATE VIEW v AS SELECT 1; DROP DATABASE x", "DROP DATABASE"},
	{"post.sql", "CREATE TRIGGER tr BEFORE INSERT ON `other`.`t` FOR EACH ROW SET NEW.a = 1", "qualified"},
	{"post.sql", "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW INSERT INTO other.log SELECT 1", "qualified"},
	{"post.sql", "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW UPDATE other.t SET a = 1", "qualified"},
	{"post.sql", "CREATE PROCEDURE p() BEGIN CALL other.p(); END", "qualified"},
	{"post.sql", "CREATE PROCEDURE p() BEGIN DECLARE x INT; PREPARE s FROM @q; END", "PREPARE"},
	{"post.sql", "CREATE PROCEDURE p() BEGIN EXECUTE IMMEDIATE 'x'; END", "EXECUTE"},
	{"post.sql", "CREATE PROCEDURE p() BEGIN CREATE USER x; END", "CREATE USER"},
	{"post.sql", "CREATE PROCEDURE p() BEGIN SET PASSWORD FOR root = 'x'; END", "SET PASSWORD"},
	{"post.sql", "CREATE PROCEDURE p() BEGIN SET SESSION sql_log_bin = 0; END", "sql_log_bin"},
	{"post.sql", "CREATE PROCEDURE p() BEGIN SET @@session.sql_log_bin = 0; END", "sql_log_bin"},
	{"post.sql", "CREATE PROCEDURE p() BEGIN SET GLOBAL event_scheduler = 1; END", "GLOBAL"},
	{"post.sql", "CREATE PROCEDURE p() BEGIN SELECT 1 INTO DUMPFILE '/tmp/x'; END", "DUMPFILE"},
	{"post.sql", "CREATE PROCEDURE p() BEGIN ALTER TABLE t RENAME TO other.t; END", "qualified"},
	{"post.sql", "CREATE PROCEDURE p() BEGIN RENAME TABLE t TO other.t; END", "qualified"},
	{"post.sql", "CREATE PROCEDURE p() BEGIN USE other; END", "USE"},
	{"post.sql", "CREATE PROCEDURE p() BEGIN SHOW DATABASES; END", "SHOW"},
	{"post.sql", "CREATE PROCEDURE p() BEGIN CREATE TABLE x (a INT) ENGINE=CONNECT; END", "ENGINE"},
	{"post.sql", "CREATE PROCEDURE p() BEGIN START SLAVE; END", "START SLAVE"},
	{"post.sql", "CREATE PROCEDURE p() BEGIN HANDLER t OPEN; END", "HANDLER"},
	{"post.sql", "CREATE FUNCTION sys_exec RETURNS INTEGER SONAME 'lib_mysqludf_sys.so'", "SONAME"},
	{"post.sql", "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO DELETE FROM other.t", "qualified"},
	{"post.sql", "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO GRANT ALL ON *.* TO x", "GRANT"},
	{"post.sql", "SET sql_mode = 'NO_BACKSLASH_ESCAPES';\nCREATE VIEW v AS SELECT 'a\\' AS x FROM other.t -- '", "qualified"},
	{"post.sql", "SET sql_mode = 'ANSI_QUOTES';\nCREATE VIEW v AS SELECT * FROM \"other\".\"t\"", "qualified"},
	{"post.sql", "CREATE TABLE t (a INT)", "CREATE of this kind"},
	{"post.sql", "DROP TABLE IF EXISTS t", "DROP of this kind"},
	{"post.sql", "DROP PROCEDURE IF EXISTS other.p", "qualified"},
	{"post.sql", "CALL p()", "CALL"},
}

func TestRefusedShapes(t *testing.T) {
	for _, tc := range refusedScripts {
		re, _, err := checkScript(tc.stream, tc.sql+";\n")
		if err != nil {
			t.Errorf("%q: %v", tc.sql, err)
			continue
		}
		if re == nil {
			t.Errorf("%s: %q allowed", tc.stream, tc.sql)
			continue
		}
		if !strings.Contains(strings.ToLower(re.Reason), strings.ToLower(tc.reason)) {
			t.Errorf("%q: reason %q, want %q", tc.sql, re.Reason, tc.reason)
		}
		if len(re.Stmt) > 60 || re.Stream != tc.stream || re.N < 1 {
			t.Errorf("%q: refusal %+v", tc.sql, re)
		}
		if !errors.Is(re, dumpers.ErrRefused) {
			t.Errorf("%q: not ErrRefused", tc.sql)
		}
	}
}

func FuzzCheck(f *testing.F) {
	for _, tc := range allowedScripts {
		f.Add(tc.sql)
	}
	for _, tc := range refusedScripts {
		f.Add(tc.sql)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, stream := range []string{"schema.sql", "post.sql", "data/t.sql"} {
			ck := newChecker(stream)
			a, err := ck.check(1, []byte(s))
			if err == nil && len(a.stmt) == 0 {
				t.Fatalf("allowed empty statement for %q", s)
			}
		}
	})
}
