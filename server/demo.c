/*
 * demo: loads a fictional council for trying Convene. Northdale Borough
 * Council (the 'default' authority, renamed) gets four teams, a shared
 * directory of police, health, school, probation and housing contacts, demo
 * users with fixed passwords and twelve months of strategy discussions
 * ending today; a neighbouring Eastholm City Council gets one team, one
 * social worker and a few discussions so that the separation between
 * authorities can be shown. The mix follows what inspections report: police
 * usually invited and present, health invited less often, some discussions
 * held by social care alone. Classification goes through classify() exactly
 * as meeting.c does it. A fixed-seed generator (never rand()) makes a load
 * reproducible for a given time of loading, and shuffled decks keep the
 * monthly volume and the mix near their targets whatever the day. Every
 * name and case reference is invented; email addresses use the reserved
 * .example domain and telephone numbers Ofcom's drama range. Everything is
 * written in one transaction through parameterised statements, and no
 * invitation is queued.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "auth.h"
#include "classify.h"
#include "db.h"
#include "demo.h"
#include "log.h"
#include "meeting.h"
#include "ltime.h"
#include "str.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#define PICK(r, a)	((a)[rng_below((r), (int)nitems(a))])

#define ID_LEN		24
#define DEMO_SEED	0x4e6f72746864616cULL	/* "Northdal" */
#define DAYS_BACK	364	/* twelve months ending today */
#define DAYS_AHEAD	14	/* scheduled discussions */
#define MAX_CASES	800
#define MAX_PARTS	10
#define MAX_KIDS	3
#define REASON_LEN	1024

/* ---- fixed fictional data ------------------------------------------------ */

enum { A_NORTHDALE, A_EASTHOLM, NAUTH };

static const struct authority_def {
	const char	*code;
	const char	*name;
} authorities[NAUTH] = {
	[A_NORTHDALE] = { "default", "Northdale Borough Council" },
	[A_EASTHOLM] = { "eastholm", "Eastholm City Council" },
};

enum { O_SC, O_POLICE, O_ACUTE, O_COMMUNITY, O_PRIMARY, O_SECONDARY,
	O_PROBATION, O_HOUSING, O_EAST_SC, NORGS };

static const struct org_def {
	const char	*name;
	const char	*agency;
} orgs[NORGS] = {
	[O_SC] = { "Northdale Children's Social Care", "social_care" },
	[O_POLICE] = { "Northshire Police Child Abuse Investigation Unit",
	    "police" },
	[O_ACUTE] = { "Northdale NHS Foundation Trust Safeguarding Team",
	    "health" },
	[O_COMMUNITY] = { "Northdale Community Health (Health Visiting and "
	    "School Nursing)", "health" },
	[O_PRIMARY] = { "Ashgrove Primary School", "education" },
	[O_SECONDARY] = { "Kingsmere Academy", "education" },
	[O_PROBATION] = { "Northshire Probation", "probation" },
	[O_HOUSING] = { "Northdale Homes", "housing" },
	[O_EAST_SC] = { "Eastholm Children's Services", "social_care" },
};

/* Social care contacts that teams refer to come first, by name. */
enum { C_IRT_TM, C_NORTH_TM, C_SOUTH_TM, C_OOH_SP, C_IRT_SW, C_SOUTH_SW,
	C_EAST_TM, C_EAST_SW };

static const struct contact_def {
	int		 org;
	const char	*name;
	const char	*role;
	const char	*email;
	const char	*phone;
} contacts[] = {
	[C_IRT_TM] = { O_SC, "Helen Marsh", "Team Manager, Initial Response "
	    "Team", "helen.marsh@northdale.example", "01632 960101" },
	[C_NORTH_TM] = { O_SC, "Gareth Pryce", "Team Manager, Child "
	    "Protection Team North", "gareth.pryce@northdale.example",
	    "01632 960102" },
	[C_SOUTH_TM] = { O_SC, "Amara Nwosu", "Team Manager, Child Protection "
	    "Team South", "amara.nwosu@northdale.example", "01632 960103" },
	[C_OOH_SP] = { O_SC, "Declan Hart", "Senior Practitioner, Out of "
	    "Hours", "declan.hart@northdale.example", "01632 960104" },
	[C_IRT_SW] = { O_SC, "Sam Whitfield", "Social Worker, Initial Response "
	    "Team", "sam.whitfield@northdale.example", "01632 960105" },
	[C_SOUTH_SW] = { O_SC, "Nadia Okafor", "Social Worker, Child "
	    "Protection Team South", "nadia.okafor@northdale.example",
	    "01632 960106" },
	[C_EAST_TM] = { O_EAST_SC, "Ruth Calloway", "Team Manager, Eastholm "
	    "Assessment Team", "ruth.calloway@eastholm.example",
	    "01632 960701" },
	[C_EAST_SW] = { O_EAST_SC, "Tom Ellery", "Social Worker, Eastholm "
	    "Assessment Team", "tom.ellery@eastholm.example", "01632 960702" },
	{ O_EAST_SC, "Marcus Doyle", "Senior Practitioner",
	    "marcus.doyle@eastholm.example", "01632 960703" },
	{ O_POLICE, "Karen Holt", "Detective Sergeant",
	    "karen.holt@police.example", "01632 960201" },
	{ O_POLICE, "Imran Qureshi", "Detective Constable",
	    "imran.qureshi@police.example", "01632 960202" },
	{ O_POLICE, "Lucy Brennan", "Detective Constable",
	    "lucy.brennan@police.example", "01632 960203" },
	{ O_POLICE, "Paul Ferris", "Detective Inspector",
	    "paul.ferris@police.example", "01632 960204" },
	{ O_POLICE, "Joanne Mercer", "MASH Police Researcher",
	    "joanne.mercer@police.example", "01632 960205" },
	{ O_ACUTE, "Claire Fenwick", "Named Nurse for Safeguarding Children",
	    "claire.fenwick@nhs.example", "01632 960301" },
	{ O_ACUTE, "Dr Miriam Oduya", "Named Doctor for Safeguarding Children",
	    "miriam.oduya@nhs.example", "01632 960302" },
	{ O_ACUTE, "Owen Prichard", "Safeguarding Children Nurse Specialist",
	    "owen.prichard@nhs.example", "01632 960303" },
	{ O_ACUTE, "Beth Lowther", "Paediatric Liaison Health Visitor",
	    "beth.lowther@nhs.example", "01632 960304" },
	{ O_COMMUNITY, "Sinead Gallagher", "Health Visitor",
	    "sinead.gallagher@nhs.example", "01632 960311" },
	{ O_COMMUNITY, "Harriet Osei", "Specialist Health Visitor "
	    "(Safeguarding)", "harriet.osei@nhs.example", "01632 960312" },
	{ O_COMMUNITY, "Megan Lloyd", "School Nurse",
	    "megan.lloyd@nhs.example", "01632 960313" },
	{ O_COMMUNITY, "Tariq Mahmood", "Family Nurse",
	    "tariq.mahmood@nhs.example", "01632 960314" },
	{ O_PRIMARY, "Rachel Dunmore", "Designated Safeguarding Lead",
	    "r.dunmore@ashgrove.school.example", "01632 960401" },
	{ O_PRIMARY, "Farah Siddiqui", "Deputy Designated Safeguarding Lead",
	    "f.siddiqui@ashgrove.school.example", "01632 960402" },
	{ O_PRIMARY, "Neil Easton", "Headteacher",
	    "n.easton@ashgrove.school.example", "01632 960403" },
	{ O_SECONDARY, "Jonathan Reeve", "Designated Safeguarding Lead",
	    "j.reeve@kingsmere.school.example", "01632 960411" },
	{ O_SECONDARY, "Aisha Bello", "Deputy Designated Safeguarding Lead",
	    "a.bello@kingsmere.school.example", "01632 960412" },
	{ O_SECONDARY, "Mark Tierney", "Head of Year 9",
	    "m.tierney@kingsmere.school.example", "01632 960413" },
	{ O_PROBATION, "Graham Stott", "Probation Officer",
	    "graham.stott@probation.example", "01632 960501" },
	{ O_PROBATION, "Leanne Parr", "Senior Probation Officer",
	    "leanne.parr@probation.example", "01632 960502" },
	{ O_PROBATION, "Victor Adeyemi", "Probation Officer",
	    "victor.adeyemi@probation.example", "01632 960503" },
	{ O_HOUSING, "Diane Ruddock", "Housing Officer",
	    "diane.ruddock@homes.northdale.example", "01632 960601" },
	{ O_HOUSING, "Kevin Ashby", "Tenancy Sustainment Officer",
	    "kevin.ashby@homes.northdale.example", "01632 960602" },
	{ O_HOUSING, "Olivia Grant", "Neighbourhood Housing Manager",
	    "olivia.grant@homes.northdale.example", "01632 960603" },
};
#define NCONTACTS	((int)nitems(contacts))

enum { U_SW, U_SOUTH, U_MANAGER, U_ADMIN, U_EAST, NUSERS };
enum { T_IRT, T_NORTH, T_SOUTH, T_OOH, T_EAST, NTEAMS };

static const struct team_def {
	const char	*name;
	int		 authority;
	const char	*ref_prefix;	/* case references */
	int		 manager;	/* contact: team manager, usual chair */
	int		 worker;	/* contact: social worker, or -1 */
	int		 user;		/* allocated worker and booker, or -1 */
	const char	*deputy_chair;
	int		 share;		/* % of weekday discussions */
} teams[NTEAMS] = {
	[T_IRT] = { "Initial Response Team", A_NORTHDALE, "NB-", C_IRT_TM,
	    C_IRT_SW, U_SW, "Joanna Pike", 38 },
	[T_NORTH] = { "Child Protection Team North", A_NORTHDALE, "NB-",
	    C_NORTH_TM, -1, -1, "Colin Baptiste", 25 },
	[T_SOUTH] = { "Child Protection Team South", A_NORTHDALE, "NB-",
	    C_SOUTH_TM, C_SOUTH_SW, U_SOUTH, "Fiona Lang", 25 },
	[T_OOH] = { "Out of Hours", A_NORTHDALE, "NB-", C_OOH_SP, -1, -1,
	    "Rob Chandra", 12 },
	[T_EAST] = { "Eastholm Assessment Team", A_EASTHOLM, "EC-", C_EAST_TM,
	    C_EAST_SW, U_EAST, "Marcus Doyle", 0 },
};

static const struct user_def {
	const char	*username;
	const char	*password;	/* fixed: the README cites them */
	const char	*role;
	const char	*display_name;
	int		 team;		/* -1: none (admin, Northdale) */
} users[NUSERS] = {
	[U_SW] = { "sw.demo", "demo-social-worker", "social_worker",
	    "Sam Whitfield", T_IRT },
	[U_SOUTH] = { "sw.south", "demo-social-worker", "social_worker",
	    "Nadia Okafor", T_SOUTH },
	[U_MANAGER] = { "manager.demo", "demo-manager", "manager",
	    "Helen Marsh", T_IRT },
	[U_ADMIN] = { "admin.demo", "demo-admin", "admin",
	    "Demo Administrator", -1 },
	[U_EAST] = { "sw.eastholm", "demo-social-worker", "social_worker",
	    "Tom Ellery", T_EAST },
};

#define MAX_CONCERNS	3

static const struct reason_def {
	const char	*text;
	int		 min_age, max_age;	/* of the child; -1: unborn */
	int		 probation;	/* % chance probation is invited */
	const char	*concerns[MAX_CONCERNS];	/* vocab.c codes */
} reasons[] = {
	{ "Bruising to a baby reported by health visitor", 0, 0, 5,
	    { "physical_abuse", "unexplained_injury" } },
	{ "Disclosure of physical abuse at school", 5, 15, 5,
	    { "physical_abuse" } },
	{ "Domestic abuse incident with children present", 0, 16, 35,
	    { "domestic_abuse", "emotional_abuse" } },
	{ "Concern about sexual exploitation", 12, 17, 5,
	    { "child_sexual_exploitation" } },
	{ "Disclosure of sexual abuse by a family member", 5, 16, 15,
	    { "sexual_abuse" } },
	{ "Unexplained injury to a toddler seen at the emergency department", 1, 3, 5,
	    { "unexplained_injury", "physical_abuse" } },
	{ "Young children found home alone overnight", 3, 10, 5,
	    { "neglect" } },
	{ "Parent arrested for drug supply with children living at the "
	    "address", 0, 17, 30,
	    { "neglect" } },
	{ "Paediatrician concerned about fabricated or induced illness", 1, 12, 0,
	    { "fabricated_or_induced_illness" } },
	{ "Missing episodes and concern about criminal exploitation", 13, 17, 10,
	    { "child_criminal_exploitation" } },
	{ "Online sexual abuse of a child reported by police", 10, 16, 10,
	    { "online_harm", "sexual_abuse" } },
	{ "Baby with faltering growth and repeatedly missed health "
	    "appointments", 0, 1, 0,
	    { "neglect" } },
	{ "New partner of a parent has convictions for offences against "
	    "children", 0, 15, 60,
	    { "physical_abuse", "sexual_abuse" } },
	{ "Child disclosed being hit with a belt", 6, 14, 5,
	    { "physical_abuse" } },
	{ "Risk of female genital mutilation identified by midwife", 0, 9, 0,
	    { "female_genital_mutilation" } },
	{ "Self-harm and disclosure of abuse to the school nurse", 11, 17, 5,
	    { "emotional_abuse", "sexual_abuse" } },
	{ "Injury to a disabled child not explained by carers", 4, 17, 0,
	    { "unexplained_injury", "physical_abuse" } },
	{ "Neighbour reported a parent repeatedly hitting a child", 2, 12, 5,
	    { "physical_abuse" } },
	{ "Pre-birth concern raised by the midwife: a previous child was "
	    "removed from the mother's care", -1, -1, 10,
	    { "unborn_baby", "neglect" } },
};

static const char *const further_reasons[] = {
	"Further strategy discussion: police have arrested a suspect",
	"Further strategy discussion after the child protection medical",
	"Further strategy discussion: a sibling has disclosed at school",
	"Further strategy discussion to review the Section 47 enquiry",
	"Further strategy discussion: the safety plan has broken down",
};

static const char *const first_names[] = {
	"Ava", "Oliver", "Isla", "Noah", "Amelia", "Leo", "Maya", "Jacob",
	"Freya", "Kian", "Zara", "Reuben", "Ellie", "Tyler", "Imogen", "Ezra",
	"Poppy", "Mason", "Layla", "Harvey", "Skye", "Callum", "Nia", "Aaron",
	"Rosie", "Jayden", "Hollie", "Kai", "Aisha", "Finley", "Lacey",
	"Tomasz", "Ruby", "Alfie", "Maisie", "Riley", "Esme", "Darius", "Lola",
	"Connor",
};

static const char *const surnames[] = {
	"Ashcombe", "Brightwell", "Carrow", "Dunsford", "Elwood", "Fernley",
	"Garside", "Hollins", "Ingleby", "Jessop", "Kettley", "Larkin",
	"Mardle", "Northway", "Oakes", "Penrose", "Quenby", "Ravenhill",
	"Stanway", "Thackery", "Upcott", "Vennor", "Wetherall", "Yarwood",
	"Abiodun", "Bakshi", "Czarnecki", "Darby", "Eze", "Farrant", "Gillow",
	"Hussaini",
};

static const char *const rooms[] = {
	"Northdale Civic Centre, meeting room 2.14",
	"Northdale Police Station, CAIU conference room",
	"Northdale General Hospital, safeguarding office",
	"Southgate Family Centre, room 1",
};

static const char *const cancel_reasons[] = {
	"Concern resolved before the discussion: the school explained the "
	    "injury with a witnessed accident.",
	"Merged with the strategy discussion already arranged for a sibling.",
	"The family moved out of the area; the case was transferred to the "
	    "receiving authority.",
	"Booked twice by mistake; the other booking went ahead.",
};

static const char *const not_invited_police[] = {
	"Police not invited: the referral was not thought to involve a crime; "
	    "the CAIU was told afterwards by email.",
	"Police CAIU could not provide an officer at short notice; the duty "
	    "Detective Sergeant was briefed by phone beforehand.",
	"Police not invited: arranged late in the day and no CAIU officer was "
	    "on duty.",
};

static const char *const not_invited_health[] = {
	"Health not invited: no health practitioner could be identified in "
	    "time.",
	"Named nurse unavailable at short notice; health visiting and GP "
	    "records to be checked after the discussion.",
	"Health not invited: the family is not known to community health "
	    "services.",
	"Health not invited: arranged at short notice and the on-call "
	    "paediatrician was not available.",
};

/* Why a statutory agency was not there; attendance NULL: not invited. */
static const struct absence_def {
	const char	*agency;
	const char	*attendance;
	const char	*text;
} absences[] = {
	{ "police", "apologies", "Police sent apologies: the officer was "
	    "called to an urgent incident." },
	{ "police", "apologies", "Police sent apologies: no CAIU officer was "
	    "free at the time agreed." },
	{ "police", "contributed", "Police could not attend; checks on the "
	    "household were shared by email beforehand." },
	{ "police", "absent", "Police did not join and could not be reached on "
	    "the day." },
	{ "police", NULL, "Police were not invited (see the reason recorded "
	    "at booking)." },
	{ "health", "apologies", "Health sent apologies: the named nurse was "
	    "in clinic and no cover was available." },
	{ "health", "apologies", "Health visitor sent apologies: on annual "
	    "leave, no cover arranged." },
	{ "health", "contributed", "Health could not attend; the health "
	    "visitor's chronology was shared beforehand." },
	{ "health", "absent", "Health did not join the call; the safeguarding "
	    "team was contacted afterwards." },
	{ "health", NULL, "Health was not invited (see the reason recorded at "
	    "booking)." },
	{ "social_care", "apologies", "Social care sent apologies: the "
	    "allocated worker and manager were both in court." },
};

/*
 * The mix inspections describe, dealt from a shuffled deck so that any
 * twenty discussions in a row come close to it whatever the day of loading:
 * half multi-agency, a third partial, the rest single-agency.
 */
enum { MIX_MULTI, MIX_PARTIAL, MIX_SINGLE };

static const int mix_deck[] = {
	MIX_MULTI, MIX_MULTI, MIX_MULTI, MIX_MULTI, MIX_MULTI, MIX_MULTI,
	MIX_MULTI, MIX_MULTI, MIX_MULTI, MIX_MULTI,
	MIX_PARTIAL, MIX_PARTIAL, MIX_PARTIAL, MIX_PARTIAL, MIX_PARTIAL,
	MIX_PARTIAL, MIX_PARTIAL,
	MIX_SINGLE, MIX_SINGLE, MIX_SINGLE,
};

/* Discussions on a past working day: 1.15 a day, like 25 to 35 a month. */
static const int weekday_deck[] = {
	0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3,
};

#define DECK_MAX	32
_Static_assert(nitems(mix_deck) <= DECK_MAX &&
    nitems(weekday_deck) <= DECK_MAX, "a deck is larger than DECK_MAX");

/* What happens to police or health in one discussion. */
enum { PLAN_THERE, PLAN_AWAY, PLAN_NOT_INVITED };

static const char *const why_joint[] = {
	"Injury not explained and consistent with non-accidental harm; joint "
	    "enquiry with police agreed and a child protection medical "
	    "arranged.",
	"Disclosure of a criminal offence against the child; joint enquiry "
	    "agreed, police to consider an Achieving Best Evidence interview.",
	"Reasonable cause to suspect significant harm and a possible crime; "
	    "joint visit by social worker and police agreed for today.",
};

static const char *const why_single[] = {
	"Threshold for significant harm met but no criminal investigation "
	    "indicated; social care to lead the enquiry and keep police "
	    "informed.",
	"Police agreed no criminal investigation at this stage; single-agency "
	    "enquiry by social care with health sharing records.",
};

static const char *const why_further[] = {
	"Does not meet the threshold for a Section 47 enquiry at present; "
	    "child and family assessment to continue with a safety plan.",
	"Explanation partly consistent with the injury; further assessment "
	    "under section 17, to be reviewed if new information arrives.",
};

static const char *const why_nfa[] = {
	"Explanation consistent with the injury and corroborated by school and "
	    "GP; no further action under child protection procedures.",
	"Information from all agencies does not indicate significant harm; "
	    "family signposted to early help.",
};

static const char *const views_spoken[] = {
	"Seen alone at school; said they felt scared when the adults argued "
	    "and wanted it to stop.",
	"Said they wanted to stay with their grandmother until things were "
	    "sorted out.",
	"Spoke to the safeguarding lead and repeated what they had told their "
	    "teacher.",
	"Said they felt safe at home and did not want police to come to the "
	    "house.",
	"Said they were worried about their younger brother and asked that "
	    "someone check on him.",
	"Told the social worker they want to go back to school and see their "
	    "friends.",
};

static const char *const views_observed[] = {
	"Pre-verbal; observed at home by the health visitor, settled and "
	    "responsive to the parent.",
	"Too young to give views; observed at hospital to be alert, feeding "
	    "well and comforted by staff.",
	"Pre-verbal; seen at nursery, wary of adults and quiet during the "
	    "visit.",
};

static const struct action_def {
	const char	*what;
	const char	*owner;
	int		 due_min, due_max;	/* days after the discussion */
} actions[] = {
	{ "See the children alone and visit the home", "Allocated social "
	    "worker", 0, 1 },
	{ "Arrange a child protection medical with the on-call paediatrician",
	    "Allocated social worker", 0, 1 },
	{ "Complete police checks on all adults in the household",
	    "Police CAIU", 1, 3 },
	{ "Share health visiting and GP records with the social worker",
	    "Named Nurse for Safeguarding Children", 1, 3 },
	{ "Consider an Achieving Best Evidence interview", "Police CAIU", 1,
	    5 },
	{ "Agree a safety plan for the school day", "Designated Safeguarding "
	    "Lead", 1, 2 },
	{ "Check for other children in the household and the wider family",
	    "Allocated social worker", 1, 3 },
	{ "Agree supervision arrangements with the parents in writing",
	    "Team manager", 0, 2 },
	{ "Send the record of the discussion to every agency", "Chair", 1, 1 },
};

/* ---- state --------------------------------------------------------------- */

struct rng {
	uint64_t	 s;
};

/* Cards dealt without replacement, reshuffled when the hand is empty. */
struct deck {
	const int	*cards;
	size_t		 ncards;	/* <= DECK_MAX */
	int		 hand[DECK_MAX];
	size_t		 left;
};

struct statutory {
	size_t		 n;
	char		 codes[CLASSIFY_MAX_AGENCIES][33];
	const char	*ptrs[CLASSIFY_MAX_AGENCIES];
};

struct demo_case {
	long		 id;
	int		 team;
	long		 last_day;
	int		 nkids;
	int		 min_age, max_age;
	int		 icpc_done;
	long		 kid[MAX_KIDS];
	const struct reason_def *first;	/* why the case was opened */
};

struct demo {
	struct db	*db;
	struct rng	 rng;
	time_t		 now;
	long		 today;		/* London date, days since 1970-01-01 */
	long		 authority[NAUTH];
	struct statutory stat[NAUTH];
	long		 org[NORGS];
	long		 contact[nitems(contacts)];
	long		 team[NTEAMS];
	long		 user[NUSERS];
	long		 next_ref[NAUTH];
	size_t		 ncases;
	struct demo_case cases[MAX_CASES];
	struct deck	 mix;		/* of mix_deck */
	struct deck	 per_day;	/* of weekday_deck */
	int		 ndisc;
};

struct part {
	int		 contact;
	const char	*attendance;	/* NULL unless held */
	const char	*partstat;
};

struct disc {
	int		 team;
	long		 day;
	struct demo_case *c;
	int		 probation;
	int		 mix, police, health;	/* MIX_*, PLAN_* */
	int		 need_other;	/* partial by a non-statutory agency */
	const char	*reason, *kind, *format, *location, *chair;
	const char	*status, *cancel_reason;
	int		 held;
	time_t		 concern, starts, ends, created, updated, recorded;
	int		 npart;
	struct part	 part[MAX_PARTS];
	const char	*planned;
	char		 planned_missing[128];
	char		 missing_reason[REASON_LEN];
	const char	*actual;
	char		 actual_missing[128];
	char		 actual_contrib[128];
	char		 absence[REASON_LEN];
	int		 police_there;
	const char	*decision;
	int		 any_s47;
	const char	*views;		/* NULL: not recorded */
	char		 review[11];
};

/* ---- small helpers ------------------------------------------------------- */

/* xorshift64*: small, and the same sequence on every platform. */
static uint64_t
rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}

/* An integer in [0, n); 0 when n < 1. */
static int
rng_below(struct rng *r, int n)
{
	if (n < 1)
		return 0;
	return (int)((rng_next(r) >> 33) % (uint64_t)n);
}

static int
rng_range(struct rng *r, int lo, int hi)
{
	return lo + rng_below(r, hi - lo + 1);
}

/* 1 with a probability of pct %. */
static int
rng_pct(struct rng *r, int pct)
{
	return rng_below(r, 100) < pct;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long
days_from_civil(long y, int m, int d)
{
	long era, yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static void
civil_from_days(long z, int *y, int *m, int *d)
{
	long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int
is_weekend(long day)
{
	long wd = ((day % 7) + 7 + 3) % 7;	/* 1970-01-01 was a Thursday */

	return wd >= 5;
}

/* The day n working days (Monday to Friday) after day; n may be < 0. */
static long
working_days_from(long day, int n)
{
	int step = n < 0 ? -1 : 1;

	while (n != 0) {
		day += step;
		if (!is_weekend(day))
			n -= step;
	}
	return day;
}

static void
fmt_day(char *out, size_t len, long day)
{
	int y, m, d;

	civil_from_days(day, &y, &m, &d);
	snprintf(out, len, "%04d-%02d-%02d", y, m, d);
}

static void
fmt_id(char *out, size_t len, long id)
{
	snprintf(out, len, "%ld", id);
}

static time_t
not_after_now(const struct demo *dm, time_t t)
{
	return t > dm->now ? dm->now : t;
}

/* Append s to out (used bytes so far in *used), space-separated. */
static int
append(char *out, size_t len, size_t *used, const char *s)
{
	int n;

	n = snprintf(out + *used, len - *used, "%s%s", *used ? " " : "", s);
	if (n < 0 || (size_t)n >= len - *used)
		return -1;
	*used += (size_t)n;
	return 0;
}

/* Postgres text[] literal of agency codes, e.g. {police,health}. */
static int
array_literal(const char *const *codes, size_t n, char *out, size_t len)
{
	size_t i, used = 1;
	int w;

	if (len < 3)
		return -1;
	out[0] = '{';
	for (i = 0; i < n; i++) {
		w = snprintf(out + used, len - used, "%s%s", i ? "," : "",
		    codes[i]);
		if (w < 0 || (size_t)w >= len - used)
			return -1;
		used += (size_t)w;
	}
	if (used + 2 > len)
		return -1;
	out[used] = '}';
	out[used + 1] = '\0';
	return 0;
}

/* Run a statement that returns one id; -1 on failure. */
static long
exec_id(struct db *db, const char *sql, int n, const char *const *p)
{
	struct db_res r;
	long id = -1;

	if (db_exec(db, &r, sql, n, p) == 0 && db_res_rows(&r) == 1)
		id = db_res_long(&r, 0, 0, -1);
	db_res_free(&r);
	return id;
}

static const char *
contact_agency(int contact)
{
	return orgs[contacts[contact].org].agency;
}

/* A random contact of organisation org. */
static int
pick_contact(struct demo *dm, int org)
{
	int i, n = 0, k;

	for (i = 0; i < NCONTACTS; i++)
		n += contacts[i].org == org;
	k = rng_below(&dm->rng, n);
	for (i = 0; i < NCONTACTS; i++)
		if (contacts[i].org == org && k-- == 0)
			return i;
	return 0;
}

/* ---- directory, teams and users ------------------------------------------ */

static int
load_statutory(struct demo *dm, int a)
{
	struct statutory *st = &dm->stat[a];
	char aid[ID_LEN];
	const char *p[1] = { aid };
	struct db_res r;
	int i, n;

	fmt_id(aid, sizeof(aid), dm->authority[a]);
	if (db_exec(dm->db, &r, "SELECT s.agency FROM statutory_agencies s "
	    "JOIN agencies a ON a.code = s.agency WHERE s.authority_id = $1 "
	    "ORDER BY a.sort_order, a.code", 1, p) != 0)
		return -1;
	n = db_res_rows(&r);
	st->n = 0;
	for (i = 0; i < n && st->n < CLASSIFY_MAX_AGENCIES; i++) {
		str_copy(st->codes[st->n], db_res_get(&r, i, 0),
		    sizeof(st->codes[0]));
		st->ptrs[st->n] = st->codes[st->n];
		st->n++;
	}
	db_res_free(&r);
	return 0;
}

static int
setup_authorities(struct demo *dm)
{
	const char *p[2];
	int a;

	for (a = 0; a < NAUTH; a++) {
		p[0] = authorities[a].code;
		p[1] = authorities[a].name;
		dm->authority[a] = exec_id(dm->db, "INSERT INTO authorities "
		    "(code, name) VALUES ($1, $2) ON CONFLICT (code) DO UPDATE "
		    "SET name = EXCLUDED.name RETURNING id", 2, p);
		if (dm->authority[a] < 0 || load_statutory(dm, a) != 0)
			return -1;
		dm->next_ref[a] = a == A_NORTHDALE ? 100123 : 200457;
	}
	return 0;
}

static int
setup_directory(struct demo *dm)
{
	char oid[ID_LEN], aid[ID_LEN];
	const char *p[6];
	int i;

	/* The directory is Northdale's to edit (docs/security.md). */
	fmt_id(aid, sizeof(aid), dm->authority[A_NORTHDALE]);
	for (i = 0; i < NORGS; i++) {
		p[0] = orgs[i].name;
		p[1] = orgs[i].agency;
		p[2] = aid;
		dm->org[i] = exec_id(dm->db, "INSERT INTO organisations (name, "
		    "agency, authority_id) VALUES ($1, $2, $3) ON CONFLICT "
		    "(name, agency) DO UPDATE SET active = true RETURNING id", 3,
		    p);
		if (dm->org[i] < 0)
			return -1;
	}
	for (i = 0; i < NCONTACTS; i++) {
		fmt_id(oid, sizeof(oid), dm->org[contacts[i].org]);
		p[0] = oid;
		p[1] = contacts[i].name;
		p[2] = contacts[i].role;
		p[3] = contacts[i].email;
		p[4] = contacts[i].phone;
		p[5] = aid;
		dm->contact[i] = exec_id(dm->db, "INSERT INTO contacts "
		    "(organisation_id, name, role, email, phone, authority_id) "
		    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT ((lower(email))) "
		    "DO UPDATE SET organisation_id = EXCLUDED.organisation_id, "
		    "name = EXCLUDED.name, role = EXCLUDED.role, active = true "
		    "RETURNING id", 6, p);
		if (dm->contact[i] < 0)
			return -1;
	}
	return 0;
}

static int
setup_teams(struct demo *dm)
{
	char aid[ID_LEN];
	const char *p[2] = { aid, NULL };
	int t;

	for (t = 0; t < NTEAMS; t++) {
		fmt_id(aid, sizeof(aid), dm->authority[teams[t].authority]);
		p[1] = teams[t].name;
		dm->team[t] = exec_id(dm->db, "INSERT INTO teams "
		    "(authority_id, name) VALUES ($1, $2) ON CONFLICT "
		    "(authority_id, name) DO UPDATE SET name = EXCLUDED.name "
		    "RETURNING id", 2, p);
		if (dm->team[t] < 0)
			return -1;
	}
	return 0;
}

static int
setup_users(struct demo *dm)
{
	char hash[crypto_pwhash_STRBYTES], aid[ID_LEN], tid[ID_LEN];
	const char *p[6];
	const struct user_def *u;
	int i;

	for (i = 0; i < NUSERS; i++) {
		u = &users[i];
		if (auth_password_hash(u->password, hash, sizeof(hash)) != 0)
			return -1;
		fmt_id(aid, sizeof(aid), dm->authority[u->team < 0 ?
		    A_NORTHDALE : teams[u->team].authority]);
		fmt_id(tid, sizeof(tid), u->team < 0 ? 0 : dm->team[u->team]);
		p[0] = aid;
		p[1] = u->team < 0 ? NULL : tid;
		p[2] = u->username;
		p[3] = u->display_name;
		p[4] = u->role;
		p[5] = hash;
		dm->user[i] = exec_id(dm->db, "INSERT INTO users "
		    "(authority_id, team_id, username, display_name, role, "
		    "password_hash) VALUES ($1, $2, $3, $4, $5, $6) RETURNING "
		    "id", 6, p);
		if (dm->user[i] < 0)
			return -1;
	}
	return 0;
}

/* ---- planning one discussion --------------------------------------------- */

/* One guess at when the concern came in; -1 when that time does not exist. */
static int
concern_try(struct demo *dm, const struct disc *d, int start_min, time_t *t)
{
	int back, r, min, y, m, day;

	if (d->team == T_OOH || rng_pct(&dm->rng, 8)) {
		*t = d->starts - 60 * rng_range(&dm->rng, 20, 8 * 60);
		return 0;
	}
	r = rng_below(&dm->rng, 100);
	back = r < 45 ? 0 : r < 80 ? 1 : r < 92 ? 2 : 3;
	if (back == 0 && start_min < 9 * 60 + 30)
		back = 1;
	if (back == 0)		/* 08:30 to half an hour before the start */
		min = 510 + 5 * rng_below(&dm->rng, (start_min - 540) / 5 + 1);
	else			/* 08:30 to 17:00 */
		min = 510 + 5 * rng_below(&dm->rng, 103);
	civil_from_days(working_days_from(d->day, -back), &y, &m, &day);
	return ltime_from_local(y, m, day, min / 60, min % 60, t);
}

/*
 * When the concern came in: mostly in office hours on the same or an earlier
 * working day, sometimes out of hours from the police; at most 72 hours
 * before the discussion and never in the future.
 */
static time_t
plan_concern(struct demo *dm, const struct disc *d, int start_min)
{
	time_t t = 0;
	int tries;

	for (tries = 0; tries < 4; tries++)
		if (concern_try(dm, d, start_min, &t) == 0 && t < d->starts &&
		    d->starts - t <= 72 * 3600)
			break;
	if (tries == 4)
		t = d->starts - 3600;
	if (t > dm->now - 600)
		t = dm->now - 600 - 60 * rng_below(&dm->rng, 240);
	return t;
}

static int
plan_when(struct demo *dm, struct disc *d)
{
	int y, m, day, min, dur;

	if (d->team == T_OOH)
		min = 15 * (is_weekend(d->day) ? rng_range(&dm->rng, 36, 80) :
		    rng_range(&dm->rng, 70, 86));
	else
		min = 15 * rng_range(&dm->rng, 36, 66);
	civil_from_days(d->day, &y, &m, &day);
	if (ltime_from_local(y, m, day, min / 60, min % 60, &d->starts) != 0)
		return -1;
	if (rng_pct(&dm->rng, d->team == T_OOH ? 75 : 35)) {
		d->kind = "discussion";
		d->format = "phone";
		d->location = "Telephone conference call";
		dur = rng_pct(&dm->rng, 60) ? 30 : 45;
	} else {
		d->kind = "meeting";
		d->format = rng_pct(&dm->rng, 72) ? "video" : "in_person";
		d->location = d->format[0] == 'v' ? "Microsoft Teams (joining "
		    "link in the invitation)" : d->team == T_EAST ?
		    "Eastholm House, meeting room 3.02" : PICK(&dm->rng, rooms);
		dur = 15 * rng_range(&dm->rng, 3, 6);
	}
	d->ends = d->starts + 60 * dur;
	d->chair = rng_pct(&dm->rng, 70) ?
	    contacts[teams[d->team].manager].name : teams[d->team].deputy_chair;
	d->concern = plan_concern(dm, d, min);
	d->created = not_after_now(dm, d->concern + (d->starts - d->concern) *
	    rng_range(&dm->rng, 5, 50) / 100);
	return 0;
}

/* A case of the same team discussed in the last 60 days, or NULL. */
static struct demo_case *
recent_case(struct demo *dm, const struct disc *d)
{
	struct demo_case *found[12];
	size_t i, n = 0;

	for (i = dm->ncases; i > 0 && n < nitems(found); i--) {
		if (d->day - dm->cases[i - 1].last_day > 60)
			break;
		if (dm->cases[i - 1].team == d->team &&
		    dm->cases[i - 1].last_day < d->day)
			found[n++] = &dm->cases[i - 1];
	}
	return n ? found[rng_below(&dm->rng, (int)n)] : NULL;
}

/* A first name not yet used in this family. */
static const char *
pick_first(struct demo *dm, const char **used, int n)
{
	const char *s;
	int i;

	for (;;) {
		s = PICK(&dm->rng, first_names);
		for (i = 0; i < n && used[i] != s; i++)
			;
		if (i == n)
			return s;
	}
}

/* An unborn baby: no name, an expected date, the only child. */
static int
insert_unborn(struct demo *dm, const struct disc *d, struct demo_case *c)
{
	char cid[ID_LEN], due[11];
	const char *p[2] = { cid, due };

	fmt_id(cid, sizeof(cid), c->id);
	fmt_day(due, sizeof(due), d->day + rng_range(&dm->rng, 40, 150));
	c->nkids = 1;
	c->min_age = c->max_age = 0;
	c->kid[0] = exec_id(dm->db, "INSERT INTO children (case_id, unborn, "
	    "expected_date) VALUES ($1, true, $2::date) RETURNING id", 2, p);
	return c->kid[0] < 0 ? -1 : 0;
}

static int
insert_children(struct demo *dm, const struct disc *d, struct demo_case *c,
    const struct reason_def *r)
{
	char cid[ID_LEN], name[96], dob[11];
	const char *p[4] = { cid, name, dob, NULL }, *first[MAX_KIDS], *family;
	int i, age, k = rng_below(&dm->rng, 100);

	if (r->min_age < 0)
		return insert_unborn(dm, d, c);
	family = PICK(&dm->rng, surnames);
	c->nkids = k < 55 ? 1 : k < 85 ? 2 : 3;
	c->min_age = 99;
	c->max_age = -1;
	fmt_id(cid, sizeof(cid), c->id);
	for (i = 0; i < c->nkids; i++) {
		age = i == 0 ? rng_range(&dm->rng, r->min_age, r->max_age) :
		    rng_range(&dm->rng, 0, 17);
		first[i] = pick_first(dm, first, i);
		snprintf(name, sizeof(name), "%s %s", first[i], i > 0 &&
		    rng_pct(&dm->rng, 15) ? PICK(&dm->rng, surnames) : family);
		fmt_day(dob, sizeof(dob), d->day - age * 365L - age / 4 -
		    rng_range(&dm->rng, 7, 360));
		/* Some children are already known: in need, or on a plan. */
		k = rng_below(&dm->rng, 100);
		p[3] = k < 70 ? "none" : k < 90 ? "child_in_need" :
		    "child_protection_plan";
		c->kid[i] = exec_id(dm->db, "INSERT INTO children (case_id, "
		    "name, date_of_birth, legal_status) VALUES ($1, $2, "
		    "$3::date, $4) RETURNING id", 4, p);
		if (c->kid[i] < 0)
			return -1;
		c->min_age = age < c->min_age ? age : c->min_age;
		c->max_age = age > c->max_age ? age : c->max_age;
	}
	return 0;
}

static int
insert_case(struct demo *dm, const struct disc *d, struct demo_case *c,
    const struct reason_def *r)
{
	char aid[ID_LEN], tid[ID_LEN], wid[ID_LEN], ref[24];
	char created[LTIME_ISO_MAX];
	const struct team_def *t = &teams[d->team];
	const char *p[5] = { aid, ref, tid, NULL, created };

	dm->next_ref[t->authority] += rng_range(&dm->rng, 1, 37);
	snprintf(ref, sizeof(ref), "%s%06ld", t->ref_prefix,
	    dm->next_ref[t->authority]);
	fmt_id(aid, sizeof(aid), dm->authority[t->authority]);
	fmt_id(tid, sizeof(tid), dm->team[d->team]);
	fmt_id(wid, sizeof(wid), t->user < 0 ? 0 : dm->user[t->user]);
	if (t->user >= 0)
		p[3] = wid;
	if (ltime_format_utc(d->created, created, sizeof(created)) != 0)
		return -1;
	c->id = exec_id(dm->db, "INSERT INTO cases (authority_id, case_ref, "
	    "team_id, allocated_worker_id, created_at) VALUES ($1, $2, $3, $4, "
	    "$5) RETURNING id", 5, p);
	if (c->id < 0)
		return -1;
	return insert_children(dm, d, c, r);
}

/* A further discussion on a recent case, or a new case with children. */
static int
plan_case(struct demo *dm, struct disc *d)
{
	const struct reason_def *r;
	struct demo_case *c;

	if (rng_pct(&dm->rng, d->day > dm->today ? 40 : 10) &&
	    (c = recent_case(dm, d)) != NULL) {
		d->c = c;
		d->reason = PICK(&dm->rng, further_reasons);
		d->probation = 10;
		c->last_day = d->day;
		return 0;
	}
	if (dm->ncases == MAX_CASES)
		return -1;
	r = &reasons[rng_below(&dm->rng, (int)nitems(reasons))];
	d->reason = r->text;
	d->probation = r->probation;
	c = d->c = &dm->cases[dm->ncases++];
	c->first = r;
	c->team = d->team;
	c->last_day = d->day;
	return insert_case(dm, d, c, r);
}

static void
add_part(struct demo *dm, struct disc *d, int contact)
{
	int r = rng_below(&dm->rng, 100);

	if (d->npart == MAX_PARTS)
		return;
	d->part[d->npart].contact = contact;
	d->part[d->npart].attendance = NULL;
	d->part[d->npart].partstat = r < 55 ? "ACCEPTED" : r < 65 ?
	    "TENTATIVE" : "NEEDS-ACTION";
	d->npart++;
}

static int
deck_draw(struct rng *r, struct deck *dk)
{
	size_t i, j;
	int card;

	if (dk->left == 0) {
		memcpy(dk->hand, dk->cards, dk->ncards * sizeof(dk->hand[0]));
		for (i = dk->ncards - 1; i > 0; i--) {
			j = (size_t)rng_below(r, (int)i + 1);
			card = dk->hand[i];
			dk->hand[i] = dk->hand[j];
			dk->hand[j] = card;
		}
		dk->left = dk->ncards;
	}
	return dk->hand[--dk->left];
}

/*
 * Decide who will be missing. Partial: health missing three times in four,
 * and then usually because nobody invited health; police missing one time
 * in three, more often by not turning up. Single: half arranged by social
 * care alone, half where nobody else came.
 */
static void
plan_mix(struct demo *dm, struct disc *d)
{
	int r, alone;

	d->mix = deck_draw(&dm->rng, &dm->mix);
	d->police = d->health = PLAN_THERE;
	if (d->mix == MIX_SINGLE) {
		alone = rng_pct(&dm->rng, 50);
		d->police = !alone && rng_pct(&dm->rng, 85) ? PLAN_AWAY :
		    PLAN_NOT_INVITED;
		d->health = !alone && rng_pct(&dm->rng, 50) ? PLAN_AWAY :
		    PLAN_NOT_INVITED;
	} else if (d->mix == MIX_PARTIAL) {
		r = rng_below(&dm->rng, 100);
		if (r < 75)
			d->health = rng_pct(&dm->rng, 80) ? PLAN_NOT_INVITED :
			    PLAN_AWAY;
		if (r >= 65)
			d->police = rng_pct(&dm->rng, 40) ? PLAN_NOT_INVITED :
			    PLAN_AWAY;
	}
}

/* Social care always; police and health as planned; others by case. */
static void
plan_invites(struct demo *dm, struct disc *d)
{
	const struct team_def *t = &teams[d->team];
	const struct demo_case *c = d->c;
	int health, first_other;

	if (t->worker >= 0)
		add_part(dm, d, t->worker);
	if (t->worker < 0 || rng_pct(&dm->rng, 60))
		add_part(dm, d, t->manager);
	if (d->police != PLAN_NOT_INVITED)
		add_part(dm, d, pick_contact(dm, O_POLICE));
	if (d->health != PLAN_NOT_INVITED) {
		health = c->min_age < 5 && rng_pct(&dm->rng, 60) ?
		    O_COMMUNITY : O_ACUTE;
		add_part(dm, d, pick_contact(dm, health));
	}
	if (d->mix == MIX_SINGLE)
		return;
	first_other = d->npart;
	if (d->team != T_EAST && c->max_age >= 4 && c->min_age <= 16 &&
	    rng_pct(&dm->rng, 50))
		add_part(dm, d, pick_contact(dm, c->max_age >= 11 ?
		    O_SECONDARY : O_PRIMARY));
	if (rng_pct(&dm->rng, d->probation))
		add_part(dm, d, pick_contact(dm, O_PROBATION));
	if (rng_pct(&dm->rng, 6))
		add_part(dm, d, pick_contact(dm, O_HOUSING));
	/* Partial with both police and health gone needs someone else. */
	d->need_other = d->mix == MIX_PARTIAL && d->police != PLAN_THERE &&
	    d->health != PLAN_THERE;
	if (d->need_other && d->npart == first_other)
		add_part(dm, d, pick_contact(dm, O_PROBATION));
}

/* Why someone expected was not there. */
static const char *
excuse(struct demo *dm)
{
	int r = rng_below(&dm->rng, 100);

	return r < 40 ? "contributed" : r < 85 ? "apologies" : "absent";
}

/* Attendance of a non-statutory invitee. */
static const char *
turnout(struct demo *dm)
{
	int r = rng_below(&dm->rng, 100);

	return r < 78 ? "attended" : r < 88 ? "contributed" : r < 98 ?
	    "apologies" : "absent";
}

static void
plan_attendance(struct demo *dm, struct disc *d)
{
	const char *agency;
	struct part *p;
	int i, sc = 0, other = 0;

	for (i = 0; i < d->npart; i++) {
		p = &d->part[i];
		agency = contact_agency(p->contact);
		if (strcmp(agency, "police") == 0)
			p->attendance = d->police == PLAN_THERE ? "attended" :
			    excuse(dm);
		else if (strcmp(agency, "health") == 0)
			p->attendance = d->health == PLAN_THERE ? "attended" :
			    excuse(dm);
		else if (strcmp(agency, "social_care") == 0)
			p->attendance = sc++ == 0 || rng_pct(&dm->rng, 90) ?
			    "attended" : "apologies";
		else
			p->attendance = d->need_other && other++ == 0 ?
			    "attended" : turnout(dm);
		if (strcmp(p->attendance, "attended") == 0)
			p->partstat = "ACCEPTED";
		else if (strcmp(p->attendance, "apologies") == 0)
			p->partstat = "DECLINED";
		else
			p->partstat = "NEEDS-ACTION";
	}
}

static void
plan_status(struct demo *dm, struct disc *d)
{
	d->status = "scheduled";
	d->updated = d->created;
	if (d->ends >= dm->now)
		return;
	if (rng_pct(&dm->rng, 6)) {
		d->status = "cancelled";
		d->cancel_reason = PICK(&dm->rng, cancel_reasons);
		d->updated = d->created + (d->starts - d->created) / 2;
		return;
	}
	/* Recent ones are often not recorded yet; older ones rarely. */
	if (rng_pct(&dm->rng, dm->today - d->day <= 2 ? 35 : 2))
		return;
	d->status = "held";
	d->held = 1;
	d->recorded = not_after_now(dm, d->ends + 60 * rng_range(&dm->rng, 15,
	    26 * 60));
	d->updated = d->recorded;
	plan_attendance(dm, d);
}

/* Classify as meeting.c does: planned = everyone invited counts. */
static int
classify_disc(const struct demo *dm, const struct disc *d, int actual,
    struct classify_result *res)
{
	const struct statutory *st = &dm->stat[teams[d->team].authority];
	struct classify_participant cp[MAX_PARTS];
	const char *att;
	int i;

	for (i = 0; i < d->npart; i++) {
		cp[i].agency = contact_agency(d->part[i].contact);
		att = d->part[i].attendance;
		if (!actual)
			cp[i].presence = CLASSIFY_PRESENT;
		else if (att != NULL && strcmp(att, "attended") == 0)
			cp[i].presence = CLASSIFY_PRESENT;
		else if (att != NULL && strcmp(att, "contributed") == 0)
			cp[i].presence = CLASSIFY_CONTRIBUTED;
		else
			cp[i].presence = CLASSIFY_NOT_PRESENT;
	}
	return classify(cp, (size_t)d->npart, st->ptrs, st->n, res);
}

static int
why_not_invited(struct demo *dm, const struct classify_result *res,
    char *out, size_t len)
{
	const char *s;
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < res->nmissing; i++) {
		if (strcmp(res->missing[i], "police") == 0)
			s = PICK(&dm->rng, not_invited_police);
		else if (strcmp(res->missing[i], "health") == 0)
			s = PICK(&dm->rng, not_invited_health);
		else
			s = "Not invited: the discussion was arranged at short "
			    "notice.";
		if (append(out, len, &used, s) != 0)
			return -1;
	}
	return 0;
}

/* The best excuse an agency's invitees gave, NULL when none was invited. */
static const char *
agency_attendance(const struct disc *d, const char *agency)
{
	static const char *const order[] = { "contributed", "apologies",
		"absent" };
	size_t k;
	int i;

	for (k = 0; k < nitems(order); k++)
		for (i = 0; i < d->npart; i++)
			if (strcmp(contact_agency(d->part[i].contact),
			    agency) == 0 &&
			    strcmp(d->part[i].attendance, order[k]) == 0)
				return order[k];
	return NULL;
}

static int
absence_match(const struct absence_def *a, const char *agency,
    const char *att)
{
	if (strcmp(a->agency, agency) != 0)
		return 0;
	if (att == NULL || a->attendance == NULL)
		return att == a->attendance;
	return strcmp(a->attendance, att) == 0;
}

static const char *
absence_text(struct demo *dm, const char *agency, const char *att)
{
	size_t i;
	int n = 0, k;

	for (i = 0; i < nitems(absences); i++)
		n += absence_match(&absences[i], agency, att);
	if (n == 0)
		return "Did not attend; no reason was given.";
	k = rng_below(&dm->rng, n);
	for (i = 0; i < nitems(absences); i++)
		if (absence_match(&absences[i], agency, att) && k-- == 0)
			break;
	return absences[i].text;
}

static int
why_absent(struct demo *dm, const struct disc *d,
    const struct classify_result *res, char *out, size_t len)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < res->nmissing; i++)
		if (append(out, len, &used, absence_text(dm, res->missing[i],
		    agency_attendance(d, res->missing[i]))) != 0)
			return -1;
	return 0;
}

static int
plan_classes(struct demo *dm, struct disc *d)
{
	struct classify_result res;
	int i;

	if (classify_disc(dm, d, 0, &res) != 0)
		return -1;
	d->planned = classify_name(res.cls);
	if (array_literal(res.missing, res.nmissing, d->planned_missing,
	    sizeof(d->planned_missing)) != 0 || why_not_invited(dm, &res,
	    d->missing_reason, sizeof(d->missing_reason)) != 0)
		return -1;
	if (!d->held)
		return 0;
	if (classify_disc(dm, d, 1, &res) != 0)
		return -1;
	d->actual = classify_name(res.cls);
	if (array_literal(res.missing, res.nmissing, d->actual_missing,
	    sizeof(d->actual_missing)) != 0 ||
	    array_literal(res.contributed, res.ncontributed, d->actual_contrib,
	    sizeof(d->actual_contrib)) != 0 ||
	    why_absent(dm, d, &res, d->absence, sizeof(d->absence)) != 0)
		return -1;
	for (i = 0; i < d->npart; i++)
		if (strcmp(contact_agency(d->part[i].contact), "police") == 0 &&
		    strcmp(d->part[i].attendance, "attended") == 0)
			d->police_there = 1;
	return 0;
}

/* The decision, the child's views and a review date for a held one. */
static void
plan_record(struct demo *dm, struct disc *d)
{
	int r = rng_below(&dm->rng, 100);

	d->decision = r < 56 ? "s47_joint" : r < 61 ? "s47_single_agency" :
	    r < 85 ? "no_s47_further_assessment" : "no_further_action";
	/* Without police in the room a joint enquiry is less likely. */
	if (!d->police_there && strcmp(d->decision, "s47_joint") == 0 &&
	    rng_pct(&dm->rng, 40))
		d->decision = "s47_single_agency";
	if (rng_pct(&dm->rng, 70))
		d->views = d->c->max_age < 3 ? PICK(&dm->rng, views_observed) :
		    PICK(&dm->rng, views_spoken);
	if (strncmp(d->decision, "s47", 3) == 0 && rng_pct(&dm->rng, 25))
		fmt_day(d->review, sizeof(d->review),
		    d->day + rng_range(&dm->rng, 7, 14));
}

/* ---- writing one discussion ---------------------------------------------- */

struct disc_text {
	char	 aid[ID_LEN], cid[ID_LEN], tid[ID_LEN], by[ID_LEN];
	char	 concern[LTIME_ISO_MAX], starts[LTIME_ISO_MAX];
	char	 ends[LTIME_ISO_MAX], created[LTIME_ISO_MAX];
	char	 updated[LTIME_ISO_MAX], recorded[LTIME_ISO_MAX];
	char	 uid[48];
};

static int
disc_text(struct demo *dm, const struct disc *d, struct disc_text *x)
{
	const struct team_def *t = &teams[d->team];
	unsigned long long hi, lo;

	fmt_id(x->aid, sizeof(x->aid), dm->authority[t->authority]);
	fmt_id(x->cid, sizeof(x->cid), d->c->id);
	fmt_id(x->tid, sizeof(x->tid), dm->team[d->team]);
	fmt_id(x->by, sizeof(x->by), t->user < 0 ? 0 : dm->user[t->user]);
	hi = rng_next(&dm->rng);
	lo = rng_next(&dm->rng);
	snprintf(x->uid, sizeof(x->uid), "%016llx%016llx@convene", hi, lo);
	x->recorded[0] = '\0';
	if (ltime_format_utc(d->concern, x->concern, sizeof(x->concern)) ||
	    ltime_format_utc(d->starts, x->starts, sizeof(x->starts)) ||
	    ltime_format_utc(d->ends, x->ends, sizeof(x->ends)) ||
	    ltime_format_utc(d->created, x->created, sizeof(x->created)) ||
	    ltime_format_utc(d->updated, x->updated, sizeof(x->updated)) ||
	    (d->held && ltime_format_utc(d->recorded, x->recorded,
	    sizeof(x->recorded))))
		return -1;
	return 0;
}

#define NZ(s)	((s)[0] != '\0' ? (s) : NULL)

static int
insert_discussion(struct demo *dm, const struct disc *d, long *id)
{
	struct disc_text x;
	const char *p[28];

	if (disc_text(dm, d, &x) != 0)
		return -1;
	p[0] = x.aid; p[1] = x.cid; p[2] = x.tid; p[3] = d->kind;
	p[4] = d->reason; p[5] = x.concern; p[6] = x.starts; p[7] = x.ends;
	p[8] = d->format; p[9] = d->location; p[10] = d->chair;
	p[11] = d->status; p[12] = x.uid; p[13] = d->planned;
	p[14] = d->planned_missing; p[15] = NZ(d->missing_reason);
	p[16] = d->actual; p[17] = d->held ? d->actual_missing : NULL;
	p[18] = d->held ? d->actual_contrib : NULL;
	p[19] = d->held ? NZ(d->absence) : NULL;
	p[20] = d->held ? (d->views ? "t" : "f") : NULL;
	p[21] = d->views; p[22] = NZ(d->review); p[23] = d->cancel_reason;
	p[24] = teams[d->team].user < 0 ? NULL : x.by;
	p[25] = x.created; p[26] = x.updated; p[27] = NZ(x.recorded);
	*id = exec_id(dm->db, "INSERT INTO discussions (authority_id, case_id, "
	    "team_id, kind, reason, concern_received_at, starts_at, ends_at, "
	    "format, location, chair, status, uid, sequence, "
	    "planned_classification, planned_missing, missing_agency_reason, "
	    "actual_classification, actual_missing, actual_contributed, "
	    "absence_reason, child_views_recorded, child_views, "
	    "next_review_date, cancel_reason, created_by, created_at, "
	    "updated_at, held_recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
	    "$8, $9, $10, $11, $12, $13, 0, $14, $15::text[], $16, $17, "
	    "$18::text[], $19::text[], $20, $21::boolean, $22, $23::date, $24, "
	    "$25, $26, $27, $28) RETURNING id", 28, p);
	return *id < 0 ? -1 : 0;
}

static int
insert_participants(struct demo *dm, const struct disc *d, long id)
{
	char did[ID_LEN], cid[ID_LEN], at[LTIME_ISO_MAX];
	const char *p[5] = { did, cid, NULL, NULL, at };
	int i;

	fmt_id(did, sizeof(did), id);
	if (ltime_format_utc(d->created, at, sizeof(at)) != 0)
		return -1;
	for (i = 0; i < d->npart; i++) {
		fmt_id(cid, sizeof(cid), dm->contact[d->part[i].contact]);
		p[2] = d->part[i].attendance;
		p[3] = d->part[i].partstat;
		/* The same snapshot of the contact as meeting.c takes. */
		if (db_cmd(dm->db, "INSERT INTO participants (discussion_id, "
		    "contact_id, name, email, agency, organisation, role, "
		    "attendance, partstat, created_at) SELECT $1, c.id, "
		    "c.name, c.email, o.agency, o.name, c.role, $3, $4, $5 "
		    "FROM contacts c JOIN organisations o ON o.id = "
		    "c.organisation_id WHERE c.id = $2", 5, p) != 0)
			return -1;
	}
	return 0;
}

static const char *
rationale(struct demo *dm, const char *decision)
{
	if (strcmp(decision, "s47_joint") == 0)
		return PICK(&dm->rng, why_joint);
	if (strcmp(decision, "s47_single_agency") == 0)
		return PICK(&dm->rng, why_single);
	if (strcmp(decision, "no_s47_further_assessment") == 0)
		return PICK(&dm->rng, why_further);
	return PICK(&dm->rng, why_nfa);
}

/* One outcome per child; a sibling is sometimes decided a step lower. */
static int
insert_outcomes(struct demo *dm, struct disc *d, long id)
{
	char did[ID_LEN], kid[ID_LEN];
	const char *p[4] = { did, kid, NULL, NULL }, *dec;
	int i;

	fmt_id(did, sizeof(did), id);
	for (i = 0; i < d->c->nkids; i++) {
		dec = d->decision;
		if (i > 0 && rng_pct(&dm->rng, 15))
			dec = strncmp(dec, "s47", 3) == 0 ?
			    "no_s47_further_assessment" : "no_further_action";
		d->any_s47 |= strncmp(dec, "s47", 3) == 0;
		fmt_id(kid, sizeof(kid), d->c->kid[i]);
		p[2] = dec;
		p[3] = rationale(dm, dec);
		if (db_cmd(dm->db, "INSERT INTO outcomes (discussion_id, "
		    "child_id, decision, rationale) VALUES ($1, $2, $3, $4)", 4,
		    p) != 0)
			return -1;
	}
	return 0;
}

static int
insert_actions(struct demo *dm, const struct disc *d, long id)
{
	char did[ID_LEN], due[11];
	const char *p[4] = { did, NULL, NULL, due };
	const struct action_def *a;
	int i, n, first, r = rng_below(&dm->rng, 100);

	n = r < 15 ? 0 : r < 45 ? 1 : r < 80 ? 2 : 3;
	first = rng_below(&dm->rng, (int)nitems(actions));
	fmt_id(did, sizeof(did), id);
	for (i = 0; i < n; i++) {
		a = &actions[(first + i) % (int)nitems(actions)];
		fmt_day(due, sizeof(due), d->day + rng_range(&dm->rng,
		    a->due_min, a->due_max));
		p[1] = a->what;
		p[2] = a->owner;
		if (db_cmd(dm->db, "INSERT INTO actions (discussion_id, what, "
		    "owner, due_date) VALUES ($1, $2, $3, $4::date)", 4,
		    p) != 0)
			return -1;
	}
	return 0;
}

/*
 * The initial child protection conference after a Section 47 decision:
 * usually 8 to 20 working days later (recorded only once it is past),
 * sometimes deemed not required.
 */
static int
set_icpc(struct demo *dm, const struct disc *d)
{
	char cid[ID_LEN], date[11];
	const char *p[2] = { cid, date };
	long day;
	int r;

	if (!d->any_s47 || d->c->icpc_done)
		return 0;
	d->c->icpc_done = 1;
	fmt_id(cid, sizeof(cid), d->c->id);
	r = rng_below(&dm->rng, 100);
	if (r < 70) {
		day = working_days_from(d->day, rng_pct(&dm->rng, 80) ?
		    rng_range(&dm->rng, 8, 15) : rng_range(&dm->rng, 16, 20));
		if (day >= dm->today)
			return 0;
		fmt_day(date, sizeof(date), day);
		return db_cmd(dm->db, "UPDATE cases SET icpc_date = $2::date "
		    "WHERE id = $1", 2, p);
	}
	if (r < 90)
		return db_cmd(dm->db, "UPDATE cases SET icpc_not_required = "
		    "true WHERE id = $1", 1, p);
	return 0;
}

/* The creation entry, as meeting.c would write it: no child names. */
static int
audit_discussion(struct demo *dm, const struct disc *d, long id)
{
	char did[ID_LEN], uid[ID_LEN];
	const char *p[2] = { did, NULL };
	int u = teams[d->team].user;

	fmt_id(did, sizeof(did), id);
	fmt_id(uid, sizeof(uid), u < 0 ? 0 : dm->user[u]);
	if (u >= 0)
		p[1] = uid;
	return db_cmd(dm->db, "INSERT INTO audit_log (at, authority_id, "
	    "user_id, action, entity, entity_id, after) SELECT d.created_at, "
	    "d.authority_id, $2::bigint, 'meeting.create', 'discussion', d.id, "
	    "jsonb_build_object('uid', d.uid, 'case_ref', c.case_ref, 'team', "
	    "t.name, 'kind', d.kind, 'format', d.format, 'starts_at', "
	    "d.starts_at, 'ends_at', d.ends_at, 'status', 'scheduled', "
	    "'planned_classification', d.planned_classification, "
	    "'planned_missing_agencies', to_jsonb(d.planned_missing), "
	    "'children', (SELECT count(*) FROM children ch WHERE ch.case_id = "
	    "d.case_id), 'participants', (SELECT count(*) FROM participants pa "
	    "WHERE pa.discussion_id = d.id), 'source', 'demo') FROM "
	    "discussions d JOIN cases c ON c.id = d.case_id JOIN teams t ON "
	    "t.id = d.team_id WHERE d.id = $1", 2, p);
}

static int
demo_record_dated(struct demo *dm, long id)
{
	char did[ID_LEN];
	const char *p[1] = { did };

	fmt_id(did, sizeof(did), id);
	return db_cmd(dm->db, "UPDATE records r SET written_at = "
	    "coalesce(d.held_recorded_at, d.ends_at) FROM discussions d WHERE "
	    "d.id = r.discussion_id AND r.discussion_id = $1", 1, p);
}

/* The record, through the same checks as a social worker's. */
static int
write_record(struct demo *dm, const struct disc *d, long id)
{
	const struct team_def *t = &teams[d->team];
	const struct reason_def *r = d->c->first;
	struct auth_user u;
	struct verr e;
	size_t n;
	int rc;

	memset(&u, 0, sizeof(u));
	u.id = t->user < 0 ? 0 : dm->user[t->user];
	u.authority_id = dm->authority[t->authority];
	u.team_id = dm->team[d->team];
	u.role = ROLE_SOCIAL_WORKER;
	for (n = 0; n < MAX_CONCERNS && r->concerns[n] != NULL; n++)
		;
	rc = demo_record_write(dm->db, u.id ? &u : NULL, id, r->concerns, n,
	    rng_next(&dm->rng), &e);
	if (rc < 0)
		log_error("demo", "the record of demo discussion %ld was "
		    "refused: %s", id, e.msg);
	/* Written when attendance was recorded, not when the demo loaded. */
	if (rc == 0 && demo_record_dated(dm, id) != 0)
		return -1;
	return rc;
}

static int
gen_one(struct demo *dm, int team, long day)
{
	struct disc d;
	long id;

	memset(&d, 0, sizeof(d));
	d.team = team;
	d.day = day;
	if (plan_when(dm, &d) != 0 || plan_case(dm, &d) != 0)
		return -1;
	plan_mix(dm, &d);
	plan_invites(dm, &d);
	plan_status(dm, &d);
	if (plan_classes(dm, &d) != 0)
		return -1;
	if (d.held)
		plan_record(dm, &d);
	if (insert_discussion(dm, &d, &id) != 0 ||
	    insert_participants(dm, &d, id) != 0)
		return -1;
	if (d.held && (insert_outcomes(dm, &d, id) != 0 ||
	    insert_actions(dm, &d, id) != 0 || set_icpc(dm, &d) != 0))
		return -1;
	if (audit_discussion(dm, &d, id) != 0)
		return -1;
	if (d.held && write_record(dm, &d, id) < 0)
		return -1;
	dm->ndisc++;
	return 0;
}

/* ---- the year ------------------------------------------------------------ */

static int
pick_team(struct demo *dm)
{
	int t, r = rng_below(&dm->rng, 100);

	for (t = 0; t < T_EAST; t++) {
		if (r < teams[t].share)
			return t;
		r -= teams[t].share;
	}
	return T_IRT;
}

/* The weekday deck for the past year, one every fourth weekend day (out of
 * hours), and one or two a working day for the fortnight ahead. */
static int
day_count(struct demo *dm, long day)
{
	int r = rng_below(&dm->rng, 100);

	if (day > dm->today)
		return is_weekend(day) ? 0 : 1 + (r < 50);
	if (is_weekend(day))
		return r < 25;
	return deck_draw(&dm->rng, &dm->per_day);
}

static int
generate(struct demo *dm)
{
	long day;
	int i, n;

	for (day = dm->today - DAYS_BACK; day <= dm->today + DAYS_AHEAD;
	    day++) {
		n = day_count(dm, day);
		for (i = 0; i < n; i++)
			if (gen_one(dm, is_weekend(day) ? T_OOH :
			    pick_team(dm), day) != 0)
				return -1;
		/* Eastholm: a few, enough to show it is kept apart. */
		if (!is_weekend(day) && day <= dm->today &&
		    rng_pct(&dm->rng, 7) && gen_one(dm, T_EAST, day) != 0)
			return -1;
	}
	return 0;
}

/* ---- entry point --------------------------------------------------------- */

static void
print_credentials(FILE *out)
{
	const struct user_def *u;
	int i;

	fprintf(out, "Demo sign-in:\n");
	for (i = 0; i < NUSERS; i++) {
		u = &users[i];
		fprintf(out, "  %s / %s  (%s, %s)\n", u->username, u->password,
		    u->role, u->team < 0 ? "no team" : teams[u->team].name);
	}
	fflush(out);
}

/* 0: go ahead; 1: already loaded or not empty; -1: error. */
static int
check_existing(struct demo *dm, int only_if_empty, FILE *out)
{
	const char *p[1] = { users[U_SW].username };
	struct db_res r;
	long n;
	int loaded;

	/* Two instances started with --demo at once load it once. */
	if (db_cmd(dm->db, "SELECT pg_advisory_xact_lock(hashtext("
	    "'convene.demo_load'))", 0, NULL) != 0 ||
	    db_exec(dm->db, &r, "SELECT (SELECT count(*) FROM discussions), "
	    "EXISTS (SELECT 1 FROM users WHERE username = $1)", 1, p) != 0)
		return -1;
	n = db_res_long(&r, 0, 0, -1);
	loaded = db_res_bool(&r, 0, 1);
	db_res_free(&r);
	if (n < 0)
		return -1;
	if (loaded) {
		fprintf(out, "The demo data is already loaded; nothing was "
		    "changed.\n");
		print_credentials(out);
		return 1;
	}
	return only_if_empty && n > 0;
}

static int
audit_load(struct demo *dm)
{
	char aid[ID_LEN], n[ID_LEN], c[ID_LEN];
	const char *p[3] = { aid, n, c };

	fmt_id(aid, sizeof(aid), dm->authority[A_NORTHDALE]);
	fmt_id(n, sizeof(n), dm->ndisc);
	fmt_id(c, sizeof(c), (long)dm->ncases);
	return db_cmd(dm->db, "INSERT INTO audit_log (authority_id, action, "
	    "entity, after) VALUES ($1, 'demo.load', 'demo', "
	    "jsonb_build_object('discussions', $2::int, 'cases', $3::int))",
	    3, p);
}

int
demo_load(struct db *db, int only_if_empty, FILE *out)
{
	struct timespec t0, t1;
	struct demo *dm;
	int y, m, d, rc = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((dm = calloc(1, sizeof(*dm))) == NULL)
		return -1;
	dm->db = db;
	dm->rng.s = DEMO_SEED;
	dm->mix.cards = mix_deck;
	dm->mix.ncards = nitems(mix_deck);
	dm->per_day.cards = weekday_deck;
	dm->per_day.ncards = nitems(weekday_deck);
	dm->now = time(NULL);
	if (ltime_local(dm->now, &y, &m, &d, NULL, NULL) != 0 ||
	    db_begin(db) != 0)
		goto out;
	dm->today = days_from_civil(y, m, d);
	if ((rc = check_existing(dm, only_if_empty, out)) != 0)
		goto out;
	rc = -1;
	if (setup_authorities(dm) != 0 || setup_directory(dm) != 0 ||
	    setup_teams(dm) != 0 || setup_users(dm) != 0 ||
	    generate(dm) != 0 || audit_load(dm) != 0 || db_commit(db) != 0)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_info("demo", "loaded %d discussions on %zu cases in %ld ms",
	    dm->ndisc, dm->ncases, (long)((t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000));
	fprintf(out, "Loaded the demo councils (all names invented): %d "
	    "strategy discussions over twelve months.\n", dm->ndisc);
	print_credentials(out);
	rc = 0;
out:
	db_rollback(db);
	if (rc < 0)
		log_error("demo", "loading the demo data failed; nothing was "
		    "changed");
	free(dm);
	return rc;
}
