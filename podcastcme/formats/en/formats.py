"""How podcastcme writes dates in English: "November 29, 2026" everywhere a person reads a date (the
certificates have always printed it so), and "November 29, 2026, 4:30 p.m." with a time.

Templates write ``{{ day|date:"DATE_FORMAT" }}`` (or ``{{ day }}``); an ISO date is only for machines
(``<time datetime>``, date inputs, CSV and the files sent to PARS, CPE Monitor and CE Broker)."""

DATE_FORMAT = "F j, Y"
DATETIME_FORMAT = "F j, Y, P"
