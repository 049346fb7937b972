/**
 * Kong's default list of bad bots (kong/plugins/bot-detection/rules.lua, itself taken from
 * ua-parser's uap-core regexes.yaml): a user agent matching any of these is refused with 403
 * unless it matches an `allow` pattern.
 *
 * Kong's patterns capture names and versions; the plugin only asks "does it match". Several of
 * them backtrack catastrophically in a backtracking engine (a 4 KB User-Agent of `a`s takes over a
 * minute on the originals), so each is rewritten here into a pattern that matches exactly the
 * same strings (an unanchored search): optional prefixes before the first mandatory part and
 * optional suffixes after the last one cannot change whether a match exists, so they are
 * dropped, and captures become plain text. Every pattern passes `regexSafetyProblem`.
 */
export const BOT_RULES: readonly string[] = [
  String.raw`Pingdom.com_bot_version_\d+\.\d+`, // Pingdom
  String.raw`facebookexternalhit/\d+\.\d+`, // Facebook
  String.raw`Google.*/\+/web/snippet`, // Google Plus
  String.raw`Twitterbot/\d+\.\d+`, // Twitter
  String.raw`/(?:(?:Ant-)?Nutch|[A-z]+[Bb]ot|[A-z]+[Ss]pider|Axtaris|fetchurl|Isara|ShopSalad|Tailsweep)[ \-]\d+`, // '/name-0.0'
  String.raw`(?:008|Altresium|Argus|BaiduMobaider|BoardReader|DNSGroup|DataparkSearch|EDI|Goodzer|Grub|INGRID|Infohelfer|LinkedInBot|LOOQ|Nutch|PathDefender|Peew|PostPost|Steeler|Twitterbot|VSE|WebCrunch|WebZIP|Y!J-BR[A-Z]|YahooSeeker|envolk|sproose|wminer)/\d+`, // 'name/0.0'
  String.raw`MSIE \d+\.\d+(?:[a-z]\d?)?;.* MSIECrawler`, // MSIECrawler
  String.raw`Google-HTTP-Java-Client|Apache-HttpClient|http%20client|Python-urllib|HttpMonitor|TLSProber|WinHTTP|JNLP`, // downloaders
  String.raw`1470\.net crawler|50\.nu|8bo Crawler Bot|Aboundex|Accoona-[A-z]+-Agent|AdsBot-Google|altavista|AppEngine-Google|archive.*?\.org_bot|archiver|Ask Jeeves|[Bb]ai[Dd]u[Ss]pider|bingbot|BingPreview|blitzbot|BlogBridge|BoardReader|boitho.com-dc|BotSeer|favicon|\bYeti|Catchpoint bot|[Cc]harlotte|Checklinks|clumboot|Comodo HTTP\(S\) Crawler|Comodo-Webinspector-Crawler|ConveraCrawler|CRAWL-E|CrawlConvera|Daumoa|Feed Seeker Bot|findlinks|Flamingo_SearchEngine|FollowSite Bot|furlbot|Genieo|gigabot|GomezAgent|gonzo1|Googlebot|Google SketchUp|grub-client|gsa-crawler|heritrix|HiddenMarket|holmes|HooWWWer|htdig|ia_archiver|ICC-Crawler|Icarus6j|ichiro|IconSurf|IlTrovatore|InfuzApp|Innovazion Crawler|InternetArchive|IP2[a-z]+Bot|jbot\b|KaloogaBot|Kraken|Kurzor|larbin|LEIA|LesnikBot|Linguee Bot|LinkAider|LinkedInBot|Lite Bot|Llaut|lycos|Mail\.RU_Bot|masidani_bot|Mediapartners-Google|Microsoft .*? Bot|mogimogi|mozDex|MJ12bot|msnbot|msrbot|netresearch|Netvibes|NewsGator|^NING|Nutch|Nymesis|ObjectsSearch|Orbiter|OOZBOT|PagePeeker|PagesInventory|PaxleFramework|Peeplo Screenshot Bot|PlantyNet_WebRobot|Pompos|Read%20Later|Reaper|RedCarpet|Retreiver|Riddler|Rival IQ|scooter|Scrapy|Scrubby|searchsight|seekbot|semanticdiscovery|Simpy|SimplePie|SEOstats|SimpleRSS|SiteCon|Slurp|snappy|Speedy Spider|Squrl Java|TheUsefulbot|ThumbShotsBot|Thumbshots\.ru|TwitterBot|URL2PNG|Vagabondo|VoilaBot|^vortex|Votay bot|^voyager|WASALive.Bot|Web-sniffer|WebThumb|WeSEE:[A-z]+|WhatWeb|WIRE|WordPress|Wotbox|www\.almaden\.ibm\.com|Xenu(?:.s)? Link Sleuth|Xerka [A-z]+Bot|yacy|Yahoo[a-z]*Seeker|Yahoo! Slurp|Yandex\w|YodaoBot|YottaaMonitor|Yowedo|^Zao|ZeBot_www\.ze\.bz|ZooShot|ZyBorg`, // bots
  String.raw`(?:[Aa]rchiver|[Ii]ndexer|[Ss]craper|[Bb]ot|[Ss]pider|[Cc]rawl[a-z]*)/\d+`, // 'name/0.0'
  String.raw`(?:[Aa]rchiver|[Ii]ndexer|[Ss]craper|[Bb]ot|[Ss]pider|[Cc]rawl[a-z]*) \d+`, // 'name 0.0'
  String.raw`[Ss][Pp][Ii][Dd][Ee][Rr]|[Ss]crape|[^C][^Uu][Bb]ot|[Cc][Rr][Aa][Ww][Ll]`, // spider|scrape|bot (not CUBOT)|crawl
];
