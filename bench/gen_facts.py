#!/usr/bin/env python3
"""Writes N fact rows for the demo model SALES_PLAN as CSV on stdout, with
distinct keys (every row valid), for bench/run.sh."""
import sys

COUNTRIES = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW".split()

n = int(sys.argv[1])
out = sys.stdout
out.write("Version,Date,Part,Country,Amount,Quantity\n")
per_month = 89 * len(COUNTRIES)
for i in range(n):
    part = i % 89 + 1
    country = COUNTRIES[(i // 89) % len(COUNTRIES)]
    month = i // per_month
    out.write(f"public.Plan,{2030 + month // 12}{month % 12 + 1:02d},P{part:04d},{country},{i % 100000}.50,{i % 97}\n")
