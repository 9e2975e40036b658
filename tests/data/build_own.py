#!/usr/bin/env python3
"""Builds own-answers.jsonl from the labeled answers below (same record format as the corpus).

Each answer is a list of messages; each message is a list of (label, sentence) pairs joined
with one space. Pronoun counts, `present` and a quantified check are computed here by the
corpus rules, so the file stays consistent. Run: python3 tests/data/build_own.py
"""
import json, os, re

SINGULAR = {"i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll"}
PLURAL = {"we", "us", "our", "ours", "ourselves", "we're", "we've", "we'd", "we'll", "let's"}

def pronouns(text):
    s = p = 0
    for piece in re.split(r"[^A-Za-z'\u2019]+", text):
        tok = piece.strip("'\u2019")
        if not tok or tok == "US":
            continue
        low = tok.lower().replace("\u2019", "'")
        if low in SINGULAR: s += 1
        elif low in PLURAL: p += 1
    return s, p

S, T, A, R, O = "situation", "task", "action", "result", "other"

ANSWERS = [
 dict(id="o01", lp="Customer Obsession", style="multi-message", hyp=False, quant=True,
  q="Tell me about a time you went above and beyond for a customer.",
  notes="Nurse-turned-support agent, lowercase chat over three messages, result with a count.",
  msgs=[[(O, "ooh ok this one's easy")],
        [(S, "i was doing phone support for a telehealth startup and an elderly patient kept getting kicked out of her video visits"),
         ],
        [(T, "i wanted her to make her cardiology appointment that afternoon no matter what"),
         (A, "i stayed on the line and walked her through switching from her old tablet to her daughter's laptop"),
         (A, "then i pinged the clinic so the doctor knew she'd be 5 min late")],
        [(R, "she made the appointment and afterwards her daughter wrote in to thank me"),
         (R, "i also flagged the old tablet issue and engineering found it was hitting like 200 patients a week")]]),
 dict(id="o02", lp="Ownership", style="labeled", hyp=False, quant=True,
  q="Describe a time you took ownership of something outside your role.",
  notes="Labels in odd spellings: 'S -', '**Task**', 'ACTION —', 'r:' on separate lines.",
  msgs=[[(S, "S - I was a frontend dev at a travel booking site and our nightly price-sync job kept failing silently."),
         (S, "It belonged to the data team, who were mid-reorg.")],
        [(T, "**Task** Nobody owned it that month, so I took it on until they were back.")],
        [(A, "ACTION — I read through the job's logs and found it died whenever a partner API returned an empty page."),
         (A, "I added a retry with backoff and an alert to our team channel.")],
        [(R, "r: we went from 9 failed nights in March to zero in April, and the data team kept the alert when they took it back.")]]),
 dict(id="o03", lp="Deliver Results", style="bullet", hyp=False, quant=True,
  q="Tell me about a time you delivered under a tight deadline.",
  notes="Bullets with '* ' markers, abbreviations (approx., e.g.), times and money.",
  msgs=[[(O, "here's the short version in bullets")],
        [(S, "* event coordinator for a 400-person nonprofit gala"),
         ],
        [(S, "* venue cancelled 10 days out bc of a burst pipe")],
        [(T, "* my job: find a new venue within budget and keep every sponsor")],
        [(A, "* called 14 venues in one afternoon, shortlisted 3 w/ the same capacity")],
        [(A, "* negotiated the hotel ballroom down approx. 20% by moving to a Thursday")],
        [(A, "* emailed sponsors the same night, e.g. with the new floor plan + logo placement")],
        [(R, "* gala happened on the new date, all 12 sponsors stayed")],
        [(R, "* came in $3,200 under the original budget")]]),
 dict(id="o04", lp="Earn Trust", style="unlabeled prose", hyp=False, quant=False,
  q="Tell me about a time you had to deliver bad news.",
  notes="Accountant owning a mistake; vague result and a lesson at the end ('next time I'd...' is not hypothetical).",
  msgs=[[(S, "Last spring I was a staff accountant at a mid-size architecture firm."),
         (S, "While closing the quarter I realized I had coded a large client payment to the wrong project, so two project managers had been looking at wrong budgets for weeks."),
         (T, "I needed to fix the books and tell both managers before their client reviews."),
         (A, "I corrected the entries the same morning and reran both budget reports."),
         (A, "Then I went to each manager in person, showed them exactly what I got wrong and what the real numbers were."),
         (A, "I also added a second check on large payments to my month-end checklist."),
         (R, "Both reviews went fine and one of the managers started asking me to sanity-check his forecasts."),
         (R, "Next time I'd flag it the minute I spot it instead of waiting until I had the fix ready.")]]),
 dict(id="o05", lp="Hire and Develop the Best", style="unlabeled prose", hyp=False, quant=True,
  q="Tell me about a time you helped someone grow.",
  notes="Result first ('Long story short'), then a meta aside and the story; we-heavy situation is fine.",
  msgs=[[(R, "Long story short, the intern I mentored got a full-time offer and now runs our test lab."),
         (O, "Let me start from the beginning though."),
         (S, "We were a four-person hardware team at a drone startup and we'd just taken on our first intern, Omar."),
         (S, "He was sharp but froze whenever a test failed and waited for someone to notice."),
         (T, "My manager asked me to get him to the point where he could run a full flight test on his own by the end of the summer."),
         (A, "I wrote him a one-page checklist for what to do when a test fails and we reviewed his test logs together every Friday."),
         (A, "After a few weeks I stopped joining his tests and only read his write-ups."),
         (R, "By August he had run 30 flight tests alone and caught a motor mount crack before it cost us a drone.")]]),
 dict(id="o06", lp="Bias for Action", style="multi-message", hyp=False, quant=True,
  q="Tell me about a time you acted without all the information.",
  notes="Sentence broken across two messages (two units); Windows-style line content; decimal and percent.",
  msgs=[[(S, "so this was at a food delivery app where I was the analyst on the growth team")],
        [(S, "on a Saturday our promo code started getting shared on Reddit and redemptions were like 12x normal")],
        [(T, "marketing lead was on a flight and I had to decide if we kill the code or let it run")],
        [(A, "what I ended up doing was")],
        [(A, "capping it at one use per account instead of killing it, since that was reversible in 2 minutes")],
        [(A, "I posted the numbers and the change in the marketing channel so she'd see it when she landed")],
        [(R, "we kept about 4,000 new signups and spend stayed 1.5x the weekly budget instead of the 9x it was heading for")]]),
 dict(id="o07", lp="Think Big", style="unlabeled prose", hyp=True, quant=False,
  q="Tell me about a time you proposed a bold idea.",
  notes="Hypothetical answer ('I haven't had the chance', 'I would', 'I'd'); would-steps are action, would-be outcome result.",
  msgs=[[(O, "Honestly I haven't had the chance to do something like this yet, so I'll tell you what I would do."),
         (S, "Say I was on a team running a clunky internal ticketing tool."),
         (A, "I would first collect a month of data on how long tickets sit before anyone picks them up."),
         (A, "Then I'd pitch replacing the queue with automatic routing by skill."),
         (R, "I think that would make response times way better and people would stop complaining about the tool.")]]),
 dict(id="o08", lp="Frugality", style="unlabeled prose", hyp=False, quant=True,
  q="Tell me about a time you did more with less.",
  notes="Teacher with no budget; number words in the result (three, dozen); US capital is a country.",
  msgs=[[(S, "I teach chemistry at a public high school in the US, and two years ago our lab budget was cut to almost nothing."),
         (T, "I still wanted every student to do real experiments, not just watch videos."),
         (A, "I rewrote our labs around kitchen chemicals like baking soda, vinegar and red cabbage indicator."),
         (A, "I also asked a local university to donate their old glassware, and they gave us a whole van load."),
         (R, "We ran three times as many hands-on labs that year, and a dozen students signed up for the science fair, which had never happened at our school.")]]),
 dict(id="o09", lp="Dive Deep", style="multi-message", hyp=False, quant=True,
  q="Tell me about a time you dug into data to find a root cause.",
  notes="Curly apostrophes (I’d, we’d, didn’t), findings are action, version numbers and URLs do not split.",
  msgs=[[(S, "I’m a backend engineer at a fintech, and last year our card-payment latency p99 jumped from 300ms to 1.2s after a routine release.")],
        [(T, "The on-call rotation had already spent two days on it, and my lead asked me to find the cause before the weekend.")],
        [(A, "I diffed the dependency tree between v4.2.1 and v4.2.2 and noticed the HTTP client had been bumped."),
         (A, "It turned out the new version disabled connection pooling by default, so every call opened a fresh TLS session."),
         (A, "I confirmed it with a flame graph, pinned the setting back on and wrote it up at wiki.internal/payments/latency.")],
        [(R, "p99 went back under 320ms the same day, and we’d been paying for that extra latency in about 3% failed checkouts.")]]),
 dict(id="o10", lp="Have Backbone; Disagree and Commit", style="unlabeled prose", hyp=False, quant=False,
  q="Tell me about a time you disagreed with your manager.",
  notes="Manager's decision after the pushback is a result (reaction); then action resumes; lesson at the end.",
  msgs=[[(S, "I was a UX researcher at a bank and my manager wanted to cut the usability tests for the new loan flow to hit a launch date."),
         (T, "I had to decide whether to push back or quietly go along."),
         (A, "I put together a short memo showing that the last two flows we launched without testing needed expensive fixes right after launch."),
         (R, "She read it and still kept the date, because the date was tied to a marketing campaign."),
         (A, "I told her I disagreed but I'd make it work, and I ran quick hallway tests with five colleagues over two lunches instead."),
         (R, "The hallway tests caught a confusing consent screen that we fixed before launch."),
         (R, "What I learned is that a compromise test beats no test, and that my manager listens when I bring evidence.")]]),
 dict(id="o11", lp="Insist on the Highest Standards", style="bullet", hyp=False, quant=False,
  q="Tell me about a time you refused to compromise on quality.",
  notes="Lowercase bullets with no Task line; 'we' action among 'i' actions; vague result.",
  msgs=[[(S, "- line cook at a busy brunch place, sunday rush")],
        [(S, "- new prep guy was cutting corners on the hollandaise, it kept breaking on the line")],
        [(A, "- i pulled him aside after service and showed him the temp + timing i use")],
        [(A, "- we did the next three batches together before open")],
        [(A, "- i also taped the steps above the station")],
        [(R, "- sauce stopped breaking and the chef noticed")]]),
 dict(id="o12", lp="Learn and Be Curious", style="unlabeled prose", hyp=False, quant=True,
  q="Tell me about a time you taught yourself something new.",
  notes="Dropped subjects in lowercase chat, very short, no situation sentence; numeric result.",
  msgs=[[(T, "needed to learn Figma in a week for my first design sprint at the agency."),
         (A, "watched the official tutorials every night and rebuilt two of our old mockups from scratch."),
         (R, "presented my first prototype on day 6 and the client picked it over the senior designer's version.")]]),
 dict(id="o13", lp="Are Right, A Lot", style="labeled", hyp=False, quant=True,
  q="Tell me about a time you made a judgment call with incomplete data.",
  notes="Markdown bold labels with colon inside, one message; e.g. and vs. inside sentences; percent.",
  msgs=[[(S, "**Situation:** I was a category manager at an online pet store, and our top-selling cat litter supplier announced a 30% price increase."),
         (S, "Competitors hadn't moved yet.")],
        [(T, "**Task:** I had to choose between eating the cost, raising our price, or switching suppliers within two weeks.")],
        [(A, "**Action:** I compared our repeat-purchase data vs. the category average and saw litter buyers were very loyal (e.g. 70% reorder within 40 days)."),
         (A, "I raised the price by half the increase and added a subscribe-and-save discount to keep regulars.")],
        [(R, "**Result:** Volume dropped only 4%, margin on the category went up, and subscriptions doubled in a quarter.")]]),
 dict(id="o14", lp="Strive to be Earth's Best Employer", style="multi-message", hyp=False, quant=True,
  q="Tell me about a time you improved your team's work environment.",
  notes="Warehouse shift lead; filler at start and end; 'let's' counts plural; quoted speech with several sentences is one unit.",
  msgs=[[(O, "hey, sorry for the delay")],
        [(S, "I'm a shift lead at a parcel warehouse and our night crew had the highest injury rate in the region, mostly back strains from the heavy-item station.")],
        [(T, "I wanted to get that station's injuries down without slowing the line."),
         (A, "I asked the crew what made it hard and they said the same thing: \"The table's too low. Nobody rotates off it.\""),
         (A, "So I got the table raised and set up a rotation every two hours, and told everyone let's try it for a month.")],
        [(R, "Back-strain reports went from 7 in the quarter before to 1 in the quarter after.")],
        [(O, "so yeah that's about it")]]),
 dict(id="o15", lp="Invent and Simplify", style="unlabeled prose", hyp=False, quant=True,
  q="Tell me about a time you simplified a process.",
  notes="Nurse manager; task appears after the first action; lesson at the end; no final punctuation.",
  msgs=[[(S, "I was the charge nurse on a surgical floor and handoffs between shifts took about 45 minutes because everyone used their own notes."),
         (A, "I sat in on a week of handoffs and timed each part."),
         (T, "My goal became getting handoffs under 20 minutes without losing anything important."),
         (A, "I drafted a one-page template with the five things the next shift always asks about and tested it with two nurses first."),
         (R, "After a month handoffs averaged 18 minutes and the other two floors asked for the template"),
         (R, "The lesson for me was to watch the work before redesigning it")]]),
 dict(id="o16", lp="Success and Scale Bring Broad Responsibility", style="unlabeled prose", hyp=False, quant=False,
  q="Tell me about a time you considered the wider impact of your work.",
  notes="No result at all; ends with actions and a meta sign-off; numbers only in the situation.",
  msgs=[[(O, "Good question, let me think."),
         (S, "I was a product designer on a ride-hailing app in 2023 and we were adding a feature that showed drivers the rider's rating before accepting."),
         (S, "In early tests drivers skipped riders below 4.5 far more often, and those riders were mostly in lower-income neighborhoods."),
         (T, "I felt responsible for raising it before we shipped."),
         (A, "I pulled the skip rates by neighborhood and brought them to the design review."),
         (A, "I also proposed showing the rating only after the driver accepted."),
         (O, "Anyway, that's what I did.")]]),
 dict(id="o17", lp="Deliver Results", style="unlabeled prose", hyp=False, quant=True,
  q="Tell me about your proudest accomplishment.",
  notes="We-heavy answer: the team's actions with 'we' and no 'I'; the speaker's task is never stated.",
  msgs=[[(S, "Our sales team at a software reseller had missed quota three quarters in a row."),
         (A, "We rebuilt the pitch around two customer case studies."),
         (A, "We also split the territory so every rep had a mix of big and small accounts."),
         (A, "Then we did weekly deal reviews as a team."),
         (R, "The next quarter we hit 112% of quota and two reps got promoted.")]]),
 dict(id="o18", lp="Ownership", style="multi-message", hyp=False, quant=True,
  q="Tell me about a time you fixed something nobody asked you to fix.",
  notes="Lab scientist; emoji in chat; decimals like 0.2 and units; a sentence broken over two messages.",
  msgs=[[(S, "I'm a research associate in a biotech lab 🧪 and our shared centrifuge kept getting booked and then not used")],
        [(S, "people were losing half-days waiting for a slot")],
        [(T, "nobody owned the booking sheet so I decided to fix it myself")],
        [(A, "I moved the bookings to a shared calendar with a rule that")],
        [(A, "unused slots get released after 15 minutes")],
        [(R, "idle booked time went from about 6 hours a week to under 1 🎉")]]),
 dict(id="o19", lp="Customer Obsession", style="unlabeled prose", hyp=False, quant=False,
  q="Tell me about a time you used customer feedback to change something.",
  notes="Restaurant owner; reactions from customers after the speaker's change are results; qualitative result.",
  msgs=[[(O, "Yeah, happy to."),
         (S, "I own a small bakery and we kept getting reviews saying our sourdough was great but always sold out by ten."),
         (T, "I wanted regulars who came after work to be able to get a loaf."),
         (A, "I started a simple preorder form on our Instagram and held back loaves for anyone who ordered by noon."),
         (R, "Regulars started thanking us at the counter, and the complaints about selling out stopped showing up in reviews.")]]),
 dict(id="o20", lp="Think Big", style="labeled", hyp=False, quant=True,
  q="Tell me about a time you set an ambitious goal.",
  notes="Single-letter labels with dashes and parentheses ('S)', 'T -', 'A)', 'R -'), labels carry to following sentences.",
  msgs=[[(S, "S) I coach a youth soccer club with about 80 kids and only two volunteer coaches."),
         (S, "Parents kept asking for more practice time.")],
        [(T, "T - I wanted every team to get two practices a week instead of one by the fall season.")],
        [(A, "A) I recruited six parents as assistant coaches and ran a Saturday training clinic for them."),
         (A, "I also got the city to give us a second field on Wednesdays.")],
        [(R, "R - By September all five teams had two practices a week, and registrations went up by 25 kids.")]]),
]

def build():
    out = []
    for a in ANSWERS:
        messages = [" ".join(t for _, t in m) for m in a["msgs"]]
        sentences = [{"text": t, "label": l} for m in a["msgs"] for l, t in m]
        joined = "\n".join(messages)
        sing, plur = pronouns(joined)
        present = {k: any(s["label"] == k for s in sentences) for k in (S, T, A, R)}
        result_text = " ".join(s["text"] for s in sentences if s["label"] == R)
        if a["quant"] and not re.search(r"\d|\b(two|three|four|five|six|seven|eight|nine|ten|dozen|twice|doubled|half|hundred|thousand|million|percent)\b", result_text, re.I):
            raise SystemExit(a["id"] + ": quantified but no number in result")
        if re.search(r"\d", result_text) and not a["quant"]:
            raise SystemExit(a["id"] + ": digit in result but not quantified")
        out.append({"id": a["id"], "question": a["q"], "lp": a["lp"], "style": a["style"],
                    "messages": messages, "sentences": sentences,
                    "expected": {"present": present, "singular": sing, "plural": plur,
                                 "hypothetical": a["hyp"], "quantified_result": a["quant"]},
                    "notes": a["notes"]})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "own-answers.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for r in out:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print("wrote %d answers to %s" % (len(out), path))

build()
