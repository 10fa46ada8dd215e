package people

import "strings"

// The lists are roughly in order of frequency: the generator draws from them with
// a Zipf-like spread. The customers are those of a German-speaking shop, with the
// names of a mixed population.

var firstNames = strings.Fields(`
Maria Anna Thomas Michael Andreas Stefan Sabine Susanne Peter Christian Petra Claudia Julia Monika
Alexander Markus Daniel Laura Frank Katharina Lisa Sandra Jan Tobias Martin Nicole Andrea Sarah Jürgen
Christina Uwe Melanie Sophie Lukas Felix Leon Birgit Karin Ursula Hans Wolfgang Klaus Manfred Matthias
Jana Jessica Kathrin Anja Stephanie Florian Sebastian Dennis Marcel Paul Emma Mia Hannah Lea Lena Marie
Jonas Finn Noah Elias Ben Luis Max Anton Emil Leonie Johanna Clara Charlotte Ella Amelie Luisa Nina Vanessa
Simone Heike Gabriele Renate Helga Ingrid Brigitte Gerhard Günter Dieter Horst Bernd Ralf Jörg Dirk Holger
Carsten Sven Oliver Patrick Philipp Kevin Niklas Moritz Jannik Tim Nils Mehmet Ahmet Ayşe Fatma Emine Mustafa
Ali Hasan Hüseyin Zeynep Elif Murat Yusuf Ibrahim Omar Fatima Aisha Mohammed Karim Amir Leila Yasmin Piotr
Krzysztof Agnieszka Katarzyna Małgorzata Tomasz Paweł Anastasia Olga Irina Natalia Sergej Dmitri Igor Elena
Svetlana Giovanni Giuseppe Marco Francesca Chiara Alessandro Luca Sofia Giulia José Carlos Juan Carmen Lucía
Pablo Javier Ana Isabel João Pedro Miguel Pierre Jean Nicolas Camille Chloé Louis Hugo Manon Léa Jack Oliver
Harry George Emily Olivia Isla Liam Mason Ethan Ava Zoe Milan Luka Ivana Marko Nikola Dragan Ioana Andrei
Mihai Georgios Dimitrios Eleni Katerina Nguyen Linh Mai Wei Li Yuki Hiroshi Ravi Priya Arjun Ananya Kofi Ama
Henrik Lars Ingrid Astrid Sven Freya Björn Erik Mats Annika Sanne Daan Bram Femke Joost Lieke Wim Greta Kurt
Elfriede Hildegard Waltraud Gisela Erika Rosemarie Herbert Walter Werner Helmut Rolf Heinz Gertrud Liselotte
Rainer Norbert Volker Bärbel Dagmar Doris Jutta Cornelia Silke Tanja Nadine Yvonne Manuela Carina Franziska
Theresa Magdalena Veronika Valentina Pia Ronja Mathilda Frieda Ida Greta Paula Marlene Ludwig Konstantin
Vincent Valentin Benedikt Korbinian Quirin Xaver Vitus Leopold Ferdinand Rupert Cosima Gwendolyn Henrike
`)

var lastNames = strings.Fields(`
Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer Richter Klein
Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt Werner Schmitz Krause
Meier Lehmann Schmid Schulze Maier Köhler Herrmann König Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz
Möller Weiß Jung Hahn Schubert Vogel Friedrich Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann
Franke Albrecht Schuster Simon Ludwig Böhm Winter Kraus Martin Schumacher Krämer Vogt Stein Jäger Otto Sommer
Groß Seidel Heinrich Brandt Haas Schreiber Graf Schulte Dietrich Ziegler Kuhn Kühn Pohl Engel Horn Busch
Bergmann Thomas Voigt Sauer Arnold Wolff Pfeiffer Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım Öztürk Aydın
Özdemir Arslan Doğan Kılıç Aslan Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński
Szymański Woźniak Ivanov Petrov Smirnov Kuznetsov Popov Sokolov Lebedev Kozlov Novikov Morozov Rossi Russo
Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo García Fernández González Rodríguez
López Martínez Sánchez Pérez Gómez Silva Santos Oliveira Pereira Costa Ferreira Martin Bernard Dubois Thomas
Robert Richard Petit Durand Leroy Moreau Smith Jones Williams Taylor Brown Davies Evans Wilson Johnson Walker
Nguyen Tran Le Pham Wang Li Zhang Liu Chen Yang Kim Lee Park Patel Sharma Singh Khan Ahmed Hussain Ali Hansen
Johansson Andersson Nielsen Jensen Larsen Jansen Visser Bakker Smit Meijer Mulder Dekker Novák Horváth Nagy
Kovács Szabó Tóth Popescu Ionescu Papadopoulos Georgiou Jovanović Petrović Nikolić Kovačević Gruber Pichler
Steiner Moser Mayr Hofer Leitner Berger Fuchs Eder Fischer Schwarz Brunner Lechner Egger Aigner Wallner
Ebner Baumgartner Lindner Reiter Haas Wimmer Weber Auer Binder Eder Winkler Lehner Holzer Zimmermann
`)

// tailStems and tailEnds make the long tail of rare last names (Birkenfeld,
// Haberkorn, Oberleitner): most people in a real customer table have a name
// shared with few others.
var tailStems = strings.Fields(`
Birken Eichen Linden Rosen Stein Wald Berg Brunn Feld Hagen Holz Kirch Mühl Neu Alt Ober Unter Hoch Schön
Grün Kalt Sonnen Stern Wiesen Dorn Haber Korn Apfel Birn Buch Esch Fisch Gold Silber Eisen Kupfer Roth Weiß
Blum Lauter Frei Kling Fuchs Hirsch Adler Falken Hasel Erlen Tann Moos Bruch Heide Marx Reichen Lieben Glück
Sieben Acht Wein Brauer Kessel Schaller Bram Quirren Zwetsch Pfeffer Rauten Wimmel Glöck Hummel Ameis Krug
`)

var tailEnds = strings.Fields(`
mann er berg feld bach hof hauser inger meier mayr huber bauer schmidt haus wald stein burg brand horst
reuther acker gruber leitner moser eder lechner rieder hammer kötter beck korn sack strauch ler
`)

var cities = strings.Fields(`
Berlin Hamburg München Köln Frankfurt Stuttgart Düsseldorf Leipzig Dortmund Essen Bremen Dresden Hannover
Nürnberg Duisburg Bochum Wuppertal Bielefeld Bonn Münster Mannheim Karlsruhe Augsburg Wiesbaden Mönchengladbach
Gelsenkirchen Aachen Braunschweig Kiel Chemnitz Halle Magdeburg Freiburg Krefeld Mainz Lübeck Erfurt Oberhausen
Rostock Kassel Hagen Potsdam Saarbrücken Hamm Ludwigshafen Oldenburg Mülheim Osnabrück Leverkusen Darmstadt
Heidelberg Solingen Regensburg Herne Paderborn Neuss Ingolstadt Offenbach Fürth Würzburg Ulm Heilbronn Pforzheim
Wolfsburg Göttingen Bottrop Reutlingen Koblenz Bremerhaven Erlangen Trier Recklinghausen Jena Remscheid Salzgitter
Moers Siegen Hildesheim Gütersloh Kaiserslautern Cottbus Witten Schwerin Wien Graz Linz Salzburg Innsbruck Zürich
Bern Basel Luzern Winterthur Bamberg Bayreuth Passau Landshut Rosenheim Kempten Lindau Konstanz Tübingen Marburg
Gießen Fulda Lüneburg Celle Goslar Husum Flensburg Stralsund Greifswald Weimar Gotha Eisenach Zwickau Plauen
`)

var streetStems = strings.Fields(`
Haupt Schul Garten Bahnhof Dorf Berg Kirch Wald Ring Linden Birken Wiesen Feld Mühlen Friedhof Post Park
Schiller Goethe Eichen Jahn Buchen Rosen Markt Mozart Beethoven Tannen Kant Lessing Uhland Heine Bismarck
Friedrich Wilhelm Kaiser Königs Luisen Karl Marien Amsel Drossel Finken Lerchen Meisen Schwalben Tauben
Ahorn Eschen Kastanien Ulmen Weiden Erlen Holunder Flieder Tulpen Nelken Veilchen Sonnen Mond Stern Sand
Stein Brunnen Bach Teich See Hafen Brücken Burg Schloss Tor Turm Kloster Mühl Hof Gewerbe Industrie Bäcker
`)

var streetKinds = []string{"straße", "straße", "straße", "weg", "weg", "gasse", "allee", "platz", "ring", "str.", " Straße"}

var freemail = []struct {
	name string
	pct  float64
}{
	{"gmail.com", 22}, {"gmx.de", 12}, {"web.de", 12}, {"t-online.de", 6}, {"yahoo.com", 3}, {"yahoo.de", 2},
	{"outlook.com", 4}, {"hotmail.com", 3}, {"hotmail.de", 2}, {"icloud.com", 4}, {"gmx.net", 3}, {"freenet.de", 2},
	{"posteo.de", 1.5}, {"mail.de", 1}, {"online.de", 1}, {"aol.com", 1}, {"gmx.at", 1.5}, {"bluewin.ch", 1},
	{"protonmail.com", 1}, {"arcor.de", 1}, {"live.de", 1}, {"googlemail.com", 2},
}

var companies = strings.Fields(`
schreinerei-holzer autohaus-berger praxis-dr-weber kanzlei-richter baeckerei-sommer steuerbuero-lang
architekten-hoch elektro-kraus sanitaer-fuchs malerbetrieb-neumann zahnarzt-peters hotel-linde gasthof-post
uni-hamburg tu-berlin lmu rwth-aachen kit siemens bosch sap telekom dhl allianz bayer basf daimler bmw
stadtwerke-ulm sparkasse-koeln volksbank-mittelhessen diakonie caritas awo drk ikea-partner mediamarkt
agentur-blau designstudio-nord webwerk kreativkopf datenfabrik softwareschmiede it-service-mueller
`)

var tlds = []string{".de", ".de", ".de", ".com", ".at", ".ch", ".eu", ".net", ".org"}

var words = strings.Fields(`
info kontakt mail post office hallo sunny happy blue red star moon sun tiger bear wolf fox lucky
music surfer gamer biker cool crazy sweet little big mr mrs the dr queen king angel dragon shadow
`)

var mobilePrefixes = strings.Fields(`151 152 157 159 160 162 163 170 171 172 173 174 175 176 177 178 179 1511 1512 1514 1515 1516 1517 1520 1522 1523 1525 1570 1573 1575 1577 1578 1590`)

var areaCodes = strings.Fields(`30 40 89 221 69 711 211 231 201 421 351 511 911 203 234 202 521 228 251 621 721 821 611 2161 209 241 531 431 371 345 391 761 2151 6131 451 361 208 381 561 2331 331 681 2381 621 441 208 541 214 6151 6221 212 941 2323 5251 2131 841 69 911 931 731 7131 7231 5361`)

var v6Prefixes = []string{"2a02:810d", "2a02:8108", "2003:e6", "2003:c1", "2a01:c22", "2a02:908", "2001:9e8", "2a0a:a540", "2a00:20", "2a02:3100"}
