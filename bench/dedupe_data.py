# ruff: noqa: E501 - phrase banks: one sentence a line reads better than wrapped fragments
"""Labeled funding lines for the duplicated-funding benchmark (bench/dedupe.py).

Quebec community organizations, concertation tables, municipalities, school service centres and
Indigenous organizations, with French and English names; each ministry types a name its own way
(accents, capitals, articles, legal suffixes, abbreviations, English form, acronym, short form,
typos), often without the NEQ and now and then with a mistyped one. Hard negatives on purpose:
organizations of the same name in other towns, siblings with close names in the same town, one
organization funded for two different purposes at once, renewals by the same funder the next
year (sometimes overlapping by a few weeks), the same purpose funded by two ministries one after
the other. The truth is kept beside each line: the organization, and the project it pays for.
A true duplicated-funding pair is, by the issue's definition applied to that truth: same
organization, same project, different ministry or program, overlapping periods, and not a
renewal by the same ministry in the next fiscal year.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from grants.coordination.records import REQUIRED_COLUMNS

# (town, region number, English spelling if any)
TOWNS = [
    ("Montréal", "06"),
    ("Laval", "13"),
    ("Québec", "03"),
    ("Gatineau", "07"),
    ("Longueuil", "16"),
    ("Sherbrooke", "05"),
    ("Saguenay", "02"),
    ("Lévis", "12"),
    ("Trois-Rivières", "04"),
    ("Terrebonne", "14"),
    ("Saint-Jean-sur-Richelieu", "16"),
    ("Repentigny", "14"),
    ("Brossard", "16"),
    ("Drummondville", "17"),
    ("Saint-Jérôme", "15"),
    ("Granby", "16"),
    ("Blainville", "15"),
    ("Saint-Hyacinthe", "16"),
    ("Shawinigan", "04"),
    ("Dollard-des-Ormeaux", "06"),
    ("Rimouski", "01"),
    ("Châteauguay", "16"),
    ("Mirabel", "15"),
    ("Victoriaville", "17"),
    ("Rouyn-Noranda", "08"),
    ("Salaberry-de-Valleyfield", "16"),
    ("Sorel-Tracy", "16"),
    ("Alma", "02"),
    ("Val-d'Or", "08"),
    ("Sept-Îles", "09"),
    ("Baie-Comeau", "09"),
    ("Rivière-du-Loup", "01"),
    ("Thetford Mines", "12"),
    ("Saint-Georges", "12"),
    ("Joliette", "14"),
    ("Magog", "05"),
    ("Matane", "01"),
    ("Gaspé", "11"),
    ("Chibougamau", "10"),
    ("Amos", "08"),
    ("Roberval", "02"),
    ("Dolbeau-Mistassini", "02"),
    ("La Tuque", "04"),
    ("Sainte-Anne-des-Monts", "11"),
    ("Mont-Laurier", "15"),
    ("Sainte-Agathe-des-Monts", "15"),
    ("Saint-Eustache", "15"),
    ("Vaudreuil-Dorion", "16"),
    ("Beloeil", "16"),
    ("Chambly", "16"),
    ("Cowansville", "16"),
    ("Lachute", "15"),
    ("Montmagny", "12"),
    ("Sainte-Marie", "12"),
    ("Nicolet", "17"),
    ("Bécancour", "17"),
    ("La Malbaie", "03"),
    ("Baie-Saint-Paul", "03"),
    ("Donnacona", "03"),
    ("Saint-Raymond", "03"),
    ("Kuujjuaq", "10"),
    ("Chisasibi", "10"),
    ("Mashteuiatsh", "02"),
    ("Wendake", "03"),
    ("Kahnawake", "16"),
    ("Odanak", "17"),
    ("Listuguj", "11"),
    ("Uashat", "09"),
    ("Wemotaci", "04"),
    ("Manawan", "14"),
    ("Lac-Simon", "08"),
    ("Kitigan Zibi", "07"),
    ("Pikogan", "08"),
    ("Mistissini", "10"),
    ("Gesgapegiag", "11"),
    ("Kanesatake", "15"),
    ("Wôlinak", "17"),
    ("Essipit", "09"),
    ("Pessamit", "09"),
    ("Opitciwan", "04"),
    ("Saint-Jean-de-Matha", "14"),
    ("Saint-Lazare", "16"),
    ("Sainte-Julie", "16"),
    ("Saint-Constant", "16"),
    ("Saint-Bruno-de-Montarville", "16"),
    ("Saint-Lambert", "16"),
    ("Sainte-Thérèse", "15"),
    ("Saint-Colomban", "15"),
    ("Saint-Félicien", "02"),
    ("Saint-Tite", "04"),
    ("Sainte-Adèle", "15"),
    ("Mascouche", "14"),
    ("L'Assomption", "14"),
    ("Boisbriand", "15"),
    ("Candiac", "16"),
    ("Pointe-Claire", "06"),
    ("Kirkland", "06"),
    ("Beaconsfield", "06"),
    ("Westmount", "06"),
    ("Mont-Royal", "06"),
    ("Côte-Saint-Luc", "06"),
    ("Rosemère", "15"),
    ("Lorraine", "15"),
    ("Varennes", "16"),
    ("Contrecoeur", "16"),
    ("Farnham", "16"),
    ("Coaticook", "05"),
    ("Lac-Mégantic", "05"),
    ("Asbestos", "05"),
    ("Windsor", "05"),
    ("Plessisville", "17"),
    ("Princeville", "17"),
    ("Louiseville", "04"),
    ("Grand-Mère", "04"),
    ("Amqui", "01"),
    ("Mont-Joli", "01"),
    ("Trois-Pistoles", "01"),
    ("Carleton-sur-Mer", "11"),
    ("New Richmond", "11"),
    ("Chandler", "11"),
    ("Îles-de-la-Madeleine", "11"),
    ("Forestville", "09"),
    ("Havre-Saint-Pierre", "09"),
    ("Fermont", "09"),
    ("Matagami", "10"),
    ("Lebel-sur-Quévillon", "10"),
    ("Ville-Marie", "08"),
    ("La Sarre", "08"),
    ("Témiscaming", "08"),
    ("Maniwaki", "07"),
    ("Buckingham", "07"),
    ("Chelsea", "07"),
    ("Shawville", "07"),
]
REGION_NAMES = {
    "01": "Bas-Saint-Laurent",
    "02": "Saguenay–Lac-Saint-Jean",
    "03": "Capitale-Nationale",
    "04": "Mauricie",
    "05": "Estrie",
    "06": "Montréal",
    "07": "Outaouais",
    "08": "Abitibi-Témiscamingue",
    "09": "Côte-Nord",
    "10": "Nord-du-Québec",
    "11": "Gaspésie–Îles-de-la-Madeleine",
    "12": "Chaudière-Appalaches",
    "13": "Laval",
    "14": "Lanaudière",
    "15": "Laurentides",
    "16": "Montérégie",
    "17": "Centre-du-Québec",
}
# Distinctive names community organizations take.
DISTINCT = """La Passerelle|L'Escale|Le Phare|La Boussole|Le Tournant|L'Éclaircie|La Traversée|Le Havre|L'Entraide|
Le Relais|La Maison Grise|Le Pignon Bleu|La Halte|L'Ancrage|Le Tremplin|L'Envol|Le Rivage|La Clé|L'Arc-en-ciel|
Le Sentier|La Marée|L'Étoile|Le Carrefour|La Bouée|L'Oasis|Le Nid|L'Élan|Le Chaînon|La Débrouille|
Le Repère|La Lanterne|L'Alternative|Le Point de rencontre|La Parenthèse|L'Accueil|Le Gîte|La Ruche|L'Horizon|Le Pont|
La Croisée|L'Écluse|Le Cap|La Vigie|L'Amarrage|Le Quai|La Rampe|L'Îlot|Le Refuge|La Main tendue|L'Appui|Le Soleil levant|
La Chrysalide|L'Aube|Le Pavillon|La Petite Maison|L'Atelier|Le Fil d'Ariane|La Girouette|L'Essor|Le Jardin|La Volière|
L'Intervalle|Le Seuil|La Mosaïque|L'Arrimage|Le Virage|La Grande Ourse|L'Orée|Le Griffon|La Fenêtre|L'Hirondelle|Le Cocon|
La Bonne Étoile|L'Écho|Le Nordet|La Clairière|L'Ombrelle|Le Verger|La Ronde|L'Abri|Le Tisserand|La Chaloupe|L'Azur|
Le Colibri|La Luciole|L'Érablière|Le Ruisseau|L'Éveil|Le Rempart|La Traverse|L'Aquarelle|Le Balcon|
La Cordée|L'Alliance|Le Cercle|La Relève|L'Étincelle|Le Fanal|La Brise|L'Équipage|Le Radeau|L'Érable|Le Bercail|
Marie-Vincent|Jacques-Cartier|Émilie-Gamelin|Marguerite-Bourgeoys|Louis-Hébert|Mère-Marie|Jeanne-Mance|Thérèse-Casgrain|
Idola-Saint-Jean|Simonne-Monet|Madeleine-Parent|Léa-Roback|Marie-Gérin-Lajoie|Laure-Gaudreault|Yvonne-Maisonneuve""".replace(
    "\n", ""
).split("|")
NEIGHBOURHOODS = """du Plateau|de Rosemont|d'Hochelaga|de Villeray|de Verdun|d'Ahuntsic|de Saint-Michel|de Parc-Extension|
de Pointe-Saint-Charles|de Saint-Henri|du Centre-Sud|de Limoilou|de Saint-Roch|de Charlesbourg|de Beauport|de Sainte-Foy|
du Vieux-Longueuil|de Chomedey|de Pont-Viau|de Fleurimont|de Jonquière|de Chicoutimi|de Hull|d'Aylmer|du Cap-de-la-Madeleine|
de Lachine|de LaSalle|de Montréal-Nord|de Rivière-des-Prairies|de l'Est|de l'Ouest|du Nord|du Sud|du Haut-Richelieu|
de la Rive-Sud|de la Rive-Nord|des Basses-Laurentides|de la Haute-Yamaska|du Bas-Richelieu|de la Petite-Nation""".replace(
    "\n", ""
).split("|")
# Community organization kinds: French words, English words (None: no English form), known acronym
COMMUNITY_KINDS = [
    ("Centre de femmes", "Women's Centre", None),
    ("Maison des jeunes", "Youth House", "MDJ"),
    ("Maison d'hébergement pour femmes", "Women's Shelter", None),
    ("Carrefour jeunesse-emploi", None, "CJE"),
    ("Centre d'aide et de lutte contre les agressions à caractère sexuel", None, "CALACS"),
    ("Centre d'aide aux victimes d'actes criminels", "Crime Victims Assistance Centre", "CAVAC"),
    ("Association des familles", "Family Association", None),
    ("Regroupement des organismes communautaires", None, None),
    ("Coalition jeunesse", "Youth Coalition", None),
    ("Corporation de développement communautaire", None, "CDC"),
    ("Organisme de justice alternative", None, None),
    ("Travail de rue", "Street Work", None),
    ("Maison de la famille", "Family House", None),
    ("Centre de prévention", "Prevention Centre", None),
    ("Service d'entraide", "Mutual Aid Service", None),
    ("Ressource d'aide aux personnes", None, None),
    ("Centre communautaire", "Community Centre", None),
]
SCHOOL_CENTRES = """des Laurentides|de la Capitale|des Mille-Îles|Marguerite-Bourgeoys|de Montréal|de la Pointe-de-l'Île|
des Premières-Seigneuries|des Découvreurs|de la Beauce-Etchemin|des Sommets|de la Région-de-Sherbrooke|des Draveurs|
des Portages-de-l'Outaouais|du Chemin-du-Roy|de l'Énergie|des Samares|des Affluents|de la Seigneurie-des-Mille-Îles|
des Patriotes|des Hautes-Rivières|Marie-Victorin|des Grandes-Seigneuries|de la Vallée-des-Tisserands|de Saint-Hyacinthe|
des Chênes|des Bois-Francs|de Kamouraska–Rivière-du-Loup|des Monts-et-Marées|des Chic-Chocs|du Fer|de l'Estuaire|
du Lac-Saint-Jean|des Rives-du-Saguenay|de Rouyn-Noranda|de l'Or-et-des-Bois|Harricana|du Lac-Témiscamingue|
de la Côte-du-Sud|des Navigateurs|des Appalaches|de la Jonquière|du Pays-des-Bleuets|de la Riveraine|des Hauts-Cantons|
du Val-des-Cerfs|de la Moyenne-Côte-Nord|René-Lévesque|des Îles|de Laval|de la Rivière-du-Nord""".replace(
    "\n", ""
).split("|")
NATIONS = [
    ("Abénakis", "Abenaki"),
    ("Anishinabeg", "Anishinabe"),
    ("Atikamekw", "Atikamekw"),
    ("Cris", "Cree"),
    ("Hurons-Wendat", "Huron-Wendat"),
    ("Innus", "Innu"),
    ("Wolastoqiyik", "Wolastoqiyik"),
    ("Mi'gmaq", "Mi'gmaq"),
    ("Mohawks", "Mohawk"),
    ("Naskapis", "Naskapi"),
    ("Inuit", "Inuit"),
]
MINISTRIES = {
    "MSI": ["Prévention jeunesse", "TRCES", "PQLC"],
    "SCF": ["Hébergement des victimes", "Égalité entre les femmes et les hommes"],
    "MSSS": ["PSOC", "Services en dépendance", "Santé mentale jeunesse"],
    "MJQ": ["FAVAC", "Accès à la justice"],
    "MEQ": ["Prévention en milieu scolaire"],
    "SAA": ["Initiatives de guérison autochtones", "Fonds d'initiatives autochtones"],
    "MAMH": ["Fonds régions et ruralité"],
    "MIFI": ["Programme d'appui aux collectivités"],
}
# Purposes: (French titles, French descriptions, English titles, English descriptions)
THEMES = [
    (
        [
            "Ateliers de prévention en milieu scolaire",
            "Prévention de l'exploitation sexuelle dans les écoles secondaires",
            "Tournée de sensibilisation dans les écoles",
        ],
        [
            "Animation d'ateliers de sensibilisation auprès des élèves du secondaire sur le recrutement et l'exploitation sexuelle.",
            "Des ateliers en classe pour outiller les jeunes du secondaire face au leurre et au recrutement.",
            "Sensibiliser les élèves et le personnel des écoles secondaires aux signes de l'exploitation sexuelle.",
        ],
        ["School prevention workshops", "Sexual exploitation awareness tour in high schools"],
        [
            "Awareness workshops for high school students on recruitment and sexual exploitation.",
            "Classroom workshops to equip secondary students against luring and recruitment.",
        ],
    ),
    (
        [
            "Hébergement d'urgence pour victimes",
            "Places d'hébergement sécuritaire",
            "Maison d'hébergement de transition",
        ],
        [
            "Offrir des places d'hébergement d'urgence et un accompagnement aux femmes victimes d'exploitation sexuelle.",
            "Hébergement sécuritaire 24 heures sur 24 et soutien psychosocial pour les victimes qui quittent le milieu.",
            "Ajout de lits d'urgence et d'un suivi de transition pour les survivantes.",
        ],
        ["Emergency shelter for victims", "Safe housing beds for survivors"],
        [
            "Emergency shelter beds and support for women who are victims of sexual exploitation.",
            "Round-the-clock safe housing and psychosocial support for victims leaving the sex trade.",
        ],
    ),
    (
        [
            "Travail de rue et intervention de proximité",
            "Intervention de proximité auprès des jeunes en fugue",
            "Équipe de travail de rue",
        ],
        [
            "Des travailleurs de rue rejoignent les jeunes en fugue et les orientent vers les services.",
            "Intervention de proximité le soir et la nuit auprès des jeunes à risque dans les lieux publics.",
            "Présence de rue pour repérer et accompagner les adolescentes à risque de recrutement.",
        ],
        ["Street outreach work", "Outreach to runaway youth"],
        [
            "Street workers reach runaway youth at night and refer them to services.",
            "Night-time outreach to at-risk teens in public places and referral to support.",
        ],
    ),
    (
        [
            "Formation des intervenants",
            "Formation sur le repérage des victimes",
            "Programme de formation continue",
        ],
        [
            "Former les intervenants du réseau et des organismes au repérage et à l'accompagnement des victimes.",
            "Sessions de formation pour les intervenantes sur les signes de l'exploitation et l'intervention.",
            "Formation continue des équipes cliniques sur le repérage et la référence.",
        ],
        ["Training for caseworkers", "Training on identifying victims"],
        [
            "Training practitioners to identify and support victims of sexual exploitation.",
            "Training sessions for front-line workers on warning signs and intervention.",
        ],
    ),
    (
        [
            "Accompagnement juridique des victimes",
            "Soutien aux victimes dans le processus judiciaire",
            "Accompagnement à la cour",
        ],
        [
            "Accompagner les victimes dans leurs démarches judiciaires, de la plainte au tribunal.",
            "Soutien et information juridique pour les victimes qui témoignent à la cour.",
            "Une intervenante accompagne les victimes aux rencontres avec les policiers et au tribunal.",
        ],
        ["Legal support for victims", "Court accompaniment"],
        [
            "Supporting victims through the legal process, from the police complaint to court.",
            "Legal information and accompaniment for victims who testify in court.",
        ],
    ),
    (
        [
            "Campagne de sensibilisation en ligne",
            "Prévention du leurre sur les réseaux sociaux",
            "Campagne numérique jeunesse",
        ],
        [
            "Campagne sur les réseaux sociaux pour prévenir le leurre et le recrutement en ligne des adolescents.",
            "Capsules vidéo et publications pour sensibiliser les jeunes aux dangers du leurre en ligne.",
            "Une campagne numérique conçue avec des jeunes sur le recrutement par internet.",
        ],
        ["Online awareness campaign", "Preventing online luring on social media"],
        [
            "A social media campaign to prevent online luring and recruitment of teenagers.",
            "Video clips and posts raising youth awareness of online luring.",
        ],
    ),
    (
        [
            "Guérison et culture pour les femmes autochtones",
            "Programme de guérison sur le territoire",
            "Cercle de guérison communautaire",
        ],
        [
            "Activités de guérison culturelle sur le territoire avec les aînées pour les femmes autochtones victimes.",
            "Des cercles de guérison et des séjours sur le territoire pour les survivantes des Premières Nations.",
            "Guérison traditionnelle et accompagnement culturel des femmes et des jeunes filles autochtones.",
        ],
        ["Indigenous women's healing program", "Land-based healing"],
        [
            "Land-based cultural healing with elders for Indigenous women who are victims.",
            "Healing circles and time on the land for First Nations survivors.",
        ],
    ),
    (
        [
            "Concertation régionale en exploitation sexuelle",
            "Coordination de la table régionale",
            "Soutien à la concertation",
        ],
        [
            "Coordonner les partenaires régionaux, tenir les rencontres de la table et suivre le plan d'action.",
            "Coordination de la table de concertation régionale et animation du réseau de partenaires.",
            "Soutenir la concertation des partenaires et le plan d'action régional en exploitation sexuelle.",
        ],
        ["Regional roundtable coordination", "Coordination of regional partners"],
        [
            "Coordinating regional partners, holding roundtable meetings and following the action plan.",
            "Coordination of the regional concertation table and its partner network.",
        ],
    ),
    (
        [
            "Soutien psychologique aux survivantes",
            "Suivi psychosocial et thérapie",
            "Clinique de soutien psychologique",
        ],
        [
            "Thérapie individuelle et de groupe pour les survivantes d'exploitation sexuelle.",
            "Suivi psychosocial et psychothérapie axée sur le trauma pour les femmes qui ont quitté le milieu.",
            "Des rencontres de thérapie et des groupes de soutien pour les survivantes.",
        ],
        ["Psychological support for survivors", "Trauma therapy"],
        [
            "Individual and group therapy for survivors of sexual exploitation.",
            "Trauma-informed psychotherapy for women who have left the sex trade.",
        ],
    ),
    (
        [
            "Réinsertion et employabilité",
            "Parcours de sortie et emploi",
            "Programme de réinsertion socioprofessionnelle",
        ],
        [
            "Accompagner les femmes qui quittent le milieu vers la formation et l'emploi.",
            "Un parcours de sortie avec stage, recherche d'emploi et retour aux études.",
            "Soutien à la réinsertion sociale et professionnelle des survivantes.",
        ],
        ["Exit and employment pathway", "Reintegration and employability"],
        [
            "Helping women leaving the sex trade toward training and jobs.",
            "An exit pathway with internships, job search and return to school.",
        ],
    ),
    (
        [
            "Sensibilisation des hôtels et du transport",
            "Formation du personnel hôtelier",
            "Repérage dans l'industrie touristique",
        ],
        [
            "Former le personnel des hôtels, des taxis et des motels à repérer l'exploitation sexuelle.",
            "Sensibilisation des employés de l'hôtellerie et des chauffeurs au repérage des victimes.",
            "Outils de repérage pour l'industrie touristique et le transport.",
        ],
        ["Hotel and transport awareness", "Training hotel staff"],
        [
            "Training hotel, motel and taxi staff to identify sexual exploitation.",
            "Awareness for hospitality employees and drivers on spotting victims.",
        ],
    ),
    (
        ["Soutien aux parents", "Ateliers pour les parents d'adolescentes", "Ligne de soutien aux familles"],
        [
            "Ateliers et soutien pour les parents dont l'adolescente est recrutée ou en fugue.",
            "Groupes de parents et accompagnement des familles touchées par l'exploitation d'un enfant.",
            "Une ligne d'écoute et des rencontres pour les familles inquiètes.",
        ],
        ["Support for parents", "Family support line"],
        [
            "Workshops and support for parents whose teenage daughter is recruited or runaway.",
            "Parent groups and support for families affected by a child's exploitation.",
        ],
    ),
    (
        [
            "Recherche sur la demande",
            "Étude sur les clients-exploiteurs",
            "Portrait régional de l'exploitation",
        ],
        [
            "Une étude sur la demande et les clients pour orienter la dissuasion.",
            "Recherche et collecte de données sur l'ampleur de l'exploitation dans la région.",
            "Portrait statistique et qualitatif de la situation régionale.",
        ],
        ["Research on demand", "Regional portrait study"],
        [
            "A study of demand and buyers to inform deterrence.",
            "Research and data collection on the extent of exploitation in the region.",
        ],
    ),
    (
        ["Halte de nuit pour jeunes", "Halte-accueil de soir", "Centre de jour jeunesse"],
        [
            "Une halte-accueil ouverte le soir et la nuit pour les jeunes en situation d'itinérance.",
            "Lieu d'accueil de nuit avec repas et intervention pour les jeunes sans domicile.",
            "Un centre de jour où les jeunes itinérants trouvent écoute et services.",
        ],
        ["Night drop-in for youth", "Youth day centre"],
        [
            "A night drop-in centre for homeless youth with meals and support.",
            "A day centre where homeless youth find listening and services.",
        ],
    ),
    (
        ["Mentorat par les pairs", "Programme de pairs aidantes", "Intervention par les pairs"],
        [
            "Des survivantes formées comme pairs aidantes accompagnent les jeunes femmes à risque.",
            "Programme de mentorat par des pairs pour soutenir la sortie du milieu.",
            "Pairs aidantes et groupes d'entraide animés par des survivantes.",
        ],
        ["Peer mentoring", "Peer support workers"],
        [
            "Survivors trained as peer workers accompany young women at risk.",
            "A peer mentoring program supporting exit from the sex trade.",
        ],
    ),
    (
        ["Théâtre de prévention", "Pièce de théâtre sur le recrutement", "Tournée théâtrale"],
        [
            "Une pièce de théâtre suivie d'une discussion pour prévenir le recrutement chez les adolescents.",
            "Tournée d'une production théâtrale de prévention dans les maisons des jeunes.",
            "Théâtre interactif sur les relations et le recrutement.",
        ],
        ["Prevention theatre", "Theatre tour"],
        [
            "A play followed by a discussion to prevent recruitment of teenagers.",
            "A touring prevention theatre production in youth houses.",
        ],
    ),
    (
        ["Services en dépendance pour victimes", "Traitement des dépendances", "Intervention en toxicomanie"],
        [
            "Traitement des dépendances adapté aux femmes victimes d'exploitation sexuelle.",
            "Intervention en toxicomanie et accompagnement vers la désintoxication pour les survivantes.",
            "Services spécialisés en dépendance pour les jeunes femmes exploitées.",
        ],
        ["Addiction services for victims", "Substance use treatment"],
        [
            "Addiction treatment adapted to women who are victims of sexual exploitation.",
            "Substance use intervention and detox support for survivors.",
        ],
    ),
    (
        [
            "Accueil des personnes immigrantes",
            "Prévention auprès des nouvelles arrivantes",
            "Soutien aux femmes immigrantes",
        ],
        [
            "Informer les femmes immigrantes et réfugiées de leurs droits et prévenir leur exploitation.",
            "Séances d'information pour les nouvelles arrivantes sur le travail, les droits et l'exploitation.",
            "Accompagnement des travailleuses étrangères vulnérables à l'exploitation.",
        ],
        ["Newcomer women support", "Prevention for immigrant women"],
        [
            "Informing immigrant and refugee women of their rights and preventing exploitation.",
            "Information sessions for newcomers on work, rights and exploitation.",
        ],
    ),
]
LEGAL = [" inc.", " inc", " enr.", " (OBNL)", ", Inc.", " ltée"]


@dataclass
class Organization:
    number: int
    name_fr: str
    name_en: str | None
    acronym: str | None  # an acronym form of the whole name, `CALACS Laval`, `ROHE`
    short: str | None  # the distinctive part alone, `La Passerelle`
    town: str
    region: str
    neq: str | None
    kind: str
    records: int = 0


@dataclass
class Line:
    record_id: str
    ministry: str
    program: str
    name: str
    neq: str
    city: str
    region: str
    title: str
    description: str
    amount: str
    start: date
    end: date
    fiscal: int
    organization: int
    project: int


@dataclass
class Truth:
    organization_of: dict[str, int] = field(default_factory=dict)
    pairs: set[tuple[str, str]] = field(default_factory=set)


def _typo(rng: random.Random, text: str) -> str:
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(letters) < 4:
        return text
    for _ in range(1 if rng.random() < 0.7 else 2):
        i = rng.choice(letters[1:])
        if i >= len(text):
            continue
        kind = rng.random()
        if kind < 0.35:
            text = text[:i] + text[i + 1 :]
        elif kind < 0.7 and i + 1 < len(text):
            text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        else:
            text = text[:i] + rng.choice("aeinorstu") + text[i + 1 :]
        letters = [k for k, ch in enumerate(text) if ch.isalpha()]
    return text


def _strip_accents(text: str) -> str:
    import unicodedata

    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _saint_short(text: str) -> str:
    return text.replace("Saint-", "St-").replace("Sainte-", "Ste-")


def _acronym_of(words: str) -> str:
    small = {"de", "des", "du", "la", "le", "les", "l", "d", "et", "en", "aux", "à", "au", "pour"}
    parts = [w for w in words.replace("'", " ").replace("-", " ").split() if w.lower() not in small]
    return "".join(w[0].upper() for w in parts)


class Generator:
    """Organizations, then funding lines, reproducible from a seed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.used: set[tuple[str, str]] = set()
        self.neqs: set[str] = set()

    def neq(self) -> str:
        while True:
            value = (
                self.rng.choice(("114", "116", "117", "118", "336", "337"))
                + f"{self.rng.randrange(10**7):07d}"
            )
            if value not in self.neqs:
                self.neqs.add(value)
                return value

    def town(self) -> tuple[str, str]:
        # Big towns hold more organizations (Zipf-like), but every town has some.
        index = min(int(self.rng.paretovariate(0.9)) - 1, len(TOWNS) - 1)
        if self.rng.random() < 0.5:
            index = self.rng.randrange(len(TOWNS))
        return TOWNS[index]

    def organization(self, number: int) -> Organization:
        rng = self.rng
        for _ in range(10_000):
            kind = rng.random()
            town, region = self.town()
            acronym = short = name_en = None
            neq: str | None = self.neq()
            if kind < 0.72:
                words, english, known = rng.choice(COMMUNITY_KINDS)
                style = rng.random()
                distinct = rng.choice(DISTINCT)
                if style < 0.45:
                    name = f"{words} {distinct}"
                    short = distinct
                    name_en = f"{distinct} {english}" if english and rng.random() < 0.3 else None
                elif style < 0.8:
                    name = f"{words} de {town}" if town[0] not in "AEIOUÎÉ" else f"{words} d'{town}"
                    name_en = f"{town} {english}" if english and rng.random() < 0.4 else None
                else:
                    place = rng.choice(NEIGHBOURHOODS)
                    name = f"{words} {place}"
                    name_en = None
                if known:
                    acronym = f"{known} {name[len(words) :].strip().removeprefix('de ').removeprefix('du ')}"
                elif rng.random() < 0.15:
                    acronym = _acronym_of(name)
                category = "community"
            elif kind < 0.78:
                region_name = REGION_NAMES[region]
                style = rng.random()
                if style < 0.5:
                    name = f"Table régionale de concertation en exploitation sexuelle {_of(region_name)}"
                    acronym = f"TRCES {region_name}"
                    name_en = f"{region_name} Regional Roundtable on Sexual Exploitation"
                else:
                    name = f"Table de concertation jeunesse {_of(town)}"
                    name_en = None
                    acronym = None
                category = "table"
            elif kind < 0.88:
                if ("municipality", town) in self.used:  # one municipality per town
                    continue
                self.used.add(("municipality", town))
                name = rng.choice([f"Ville {_of(town)}", f"Municipalité {_of(town)}"])
                name_en = f"City of {town}"
                neq = None if rng.random() < 0.7 else neq
                category = "municipality"
            elif kind < 0.94:
                centre = rng.choice(SCHOOL_CENTRES)
                name = f"Centre de services scolaire {centre}"
                bare = centre.split(" ", 1)[1] if centre.split(" ", 1)[0] in ("de", "des", "du") else centre
                bare = bare.removeprefix("la ").removeprefix("l'")
                name_en = f"{bare} School Service Centre"
                acronym = f"CSS {bare}"
                neq = None if rng.random() < 0.8 else neq
                category = "school"
            else:
                nation_fr, nation_en = rng.choice(NATIONS)
                style = rng.random()
                if style < 0.35:
                    name = f"Centre d'amitié autochtone {_of(town)}"
                    name_en = f"Native Friendship Centre of {town}"
                elif style < 0.7:
                    name = f"Conseil de la Nation {nation_fr} de {town}"
                    name_en = f"{nation_en} Nation Council of {town}"
                    neq = None if rng.random() < 0.7 else neq
                else:
                    name = f"Femmes autochtones {nation_fr} {_of(town)}"
                    name_en = f"{nation_en} Native Women of {town}"
                category = "indigenous"
            if category == "community" and style < 0.45:
                if ("distinct", distinct, town) in self.used:  # one is called `La Passerelle` in a town
                    short = None
                    acronym = None if acronym and distinct in acronym else acronym
                self.used.add(("distinct", distinct, town))
            if category == "school":
                if ("school", name) in self.used:  # a school service centre exists once
                    continue
                self.used.add(("school", name))
            if (name, town) not in self.used:
                self.used.add((name, town))
                return Organization(number, name, name_en, acronym, short, town, region, neq, category)
        raise RuntimeError("could not draw a new organization")

    def twin(self, number: int, other: Organization) -> Organization | None:
        """The same name in another town: a different organization (the hard negative)."""
        for _ in range(10):
            town, region = self.town()
            if town != other.town and (other.name_fr, town) not in self.used:
                self.used.add((other.name_fr, town))
                neq = self.neq() if self.rng.random() < 0.8 else None
                short = other.short
                if short and ("distinct", short, town) in self.used:
                    short = None  # that town already calls another organization so
                elif short:
                    self.used.add(("distinct", short, town))
                return Organization(
                    number, other.name_fr, other.name_en, other.acronym, short, town, region, neq, other.kind
                )
        return None

    def sibling(self, number: int, other: Organization) -> Organization | None:
        """A close name in the same town (another distinctive word): a different organization."""
        if not other.short:
            return None
        for _ in range(10):
            distinct = self.rng.choice(DISTINCT)
            name = other.name_fr.replace(other.short, distinct)
            if name != other.name_fr and ("distinct", distinct, other.town) not in self.used:
                self.used.add((name, other.town))
                self.used.add(("distinct", distinct, other.town))
                return Organization(
                    number, name, None, None, distinct, other.town, other.region, self.neq(), other.kind
                )
        return None

    # -- how one ministry writes the organization ------------------------------------------------
    def written_name(self, org: Organization) -> str:
        rng = self.rng
        roll = rng.random()
        name = org.name_fr
        if roll < 0.38:
            pass
        elif roll < 0.46:
            name = name + rng.choice(LEGAL)
        elif roll < 0.53:
            name = name.upper()
        elif roll < 0.59:
            name = _strip_accents(name).lower() if rng.random() < 0.5 else _strip_accents(name)
        elif roll < 0.65:
            name = (
                name.replace("Centre des", "Centre de")
                .replace("Centre de femmes", "Centre des femmes")
                .replace("Maison des jeunes", "Maison de jeunes")
                .replace(" de la ", " la ")
                .replace("Centre", "Ctr", 1 if rng.random() < 0.3 else 0)
                .replace("Association", "Assn")
            )
            name = _saint_short(name)
        elif roll < 0.77 and org.name_en:
            name = org.name_en
        elif roll < 0.84 and org.acronym:
            name = org.acronym
        elif roll < 0.87 and org.short:
            name = org.short
        elif roll < 0.93:
            name = _typo(rng, name)
        else:
            name = name.replace("-", " ").replace("'", "’") if rng.random() < 0.5 else name.replace(" ", "  ")
        return name

    def written_city(self, org: Organization) -> str:
        roll = self.rng.random()
        if roll < 0.05:
            return ""
        if roll < 0.12:
            return _strip_accents(org.town)
        if roll < 0.17:
            return _saint_short(org.town)
        if roll < 0.2:
            return org.town.upper()
        if roll < 0.22:
            return _typo(self.rng, org.town)
        return org.town

    def written_region(self, org: Organization) -> str:
        roll = self.rng.random()
        if roll < 0.03:
            return ""
        if roll < 0.45:
            return org.region
        if roll < 0.6:
            return str(int(org.region))
        if roll < 0.9:
            return REGION_NAMES[org.region]
        return f"{org.region} - {REGION_NAMES[org.region]}"

    def written_neq(self, org: Organization) -> str:
        if org.neq is None or self.rng.random() < 0.45:
            return ""
        if self.rng.random() < 0.01:  # mistyped: two neighbouring digits swapped
            digits = list(org.neq)
            i = self.rng.randrange(2, 9)
            if digits[i] != digits[i + 1]:
                digits[i], digits[i + 1] = digits[i + 1], digits[i]
                return "".join(digits)
        return org.neq if self.rng.random() < 0.85 else f"{org.neq[:4]} {org.neq[4:7]} {org.neq[7:]}"

    def purpose(self, theme: int, proposal: int) -> tuple[str, str]:
        """How one ministry writes a project's purpose: the organization's own proposal (often
        shortened or retitled), its English version, or the ministry's own summary of the theme."""
        rng = self.rng
        titles_fr, descriptions_fr, titles_en, descriptions_en = THEMES[theme]
        english = min(proposal, len(titles_en) - 1)
        roll = rng.random()
        if roll < 0.45:
            title, description = titles_fr[proposal], descriptions_fr[proposal]
            if rng.random() < 0.3:
                title = rng.choice(titles_fr)
            if rng.random() < 0.25:
                words = description.split()
                description = " ".join(words[: max(5, len(words) * 2 // 3)])
            return title, description
        if roll < 0.7:
            return titles_en[english], descriptions_en[english]
        if roll < 0.9:
            return rng.choice(titles_fr), rng.choice(descriptions_fr)
        return rng.choice(titles_en), rng.choice(descriptions_en)


def _of(place: str) -> str:
    if place[0] in "AEIOUÎÉÔ":
        return f"d'{place}"
    if place.startswith("Le "):
        return "du " + place[3:]
    if place.startswith("Les "):
        return "des " + place[4:]
    return f"de {place}"


def generate(size: int, seed: int) -> tuple[list[Line], Truth]:
    """About `size` funding lines with their truth."""
    gen = Generator(seed)
    rng = gen.rng
    lines: list[Line] = []
    organizations: list[Organization] = []
    sequence = 0
    project_number = 0
    proposals: dict[int, int] = {}

    def add_line(
        org: Organization,
        ministry: str,
        program: str,
        theme: int,
        project: int,
        start: date,
        end: date,
        fiscal: int,
    ) -> None:
        nonlocal sequence
        sequence += 1
        title, description = gen.purpose(theme, proposals[project])
        if rng.random() < 0.3:
            description = f"{description} {_of(org.town).capitalize()}."
        lines.append(
            Line(
                record_id=f"{ministry}-{fiscal}-{sequence:07d}",
                ministry=ministry,
                program=program,
                name=gen.written_name(org),
                neq=gen.written_neq(org),
                city=gen.written_city(org),
                region=gen.written_region(org),
                title=title,
                description=description,
                amount=f"{rng.randrange(5_000, 500_000)}.00",
                start=start,
                end=end,
                fiscal=fiscal,
                organization=org.number,
                project=project,
            )
        )

    while len(lines) < size:
        roll = rng.random()
        if roll < 0.05 and organizations:
            org = gen.twin(len(organizations), rng.choice(organizations))
        elif roll < 0.09 and organizations:
            org = gen.sibling(len(organizations), rng.choice(organizations))
        else:
            org = gen.organization(len(organizations))
        if org is None:
            continue
        organizations.append(org)
        themes = rng.sample(range(len(THEMES)), k=rng.choice((1, 1, 2, 2, 3, 4)))
        for theme in themes:
            project_number += 1
            proposals[project_number] = rng.randrange(len(THEMES[theme][0]))
            first_year = rng.randrange(2022, 2027)
            ministries = list(MINISTRIES)
            ministry = rng.choice(ministries)
            program = rng.choice(MINISTRIES[ministry])
            years = rng.choice((1, 1, 2, 3))
            start_shift = rng.choice((0, 0, 0, 1, 2, 3, 6))
            for offset in range(years):  # the main funder, renewed year after year
                year = first_year + offset
                start = date(year, 4, 1) + timedelta(days=30 * start_shift)
                end = date(year + 1, 3, 31) + timedelta(days=30 * start_shift)
                if offset and rng.random() < 0.3:  # the renewal starts before the last year ends
                    start -= timedelta(days=rng.randrange(15, 75))
                renewal_program = program if rng.random() < 0.75 else rng.choice(MINISTRIES[ministry])
                add_line(org, ministry, renewal_program, theme, project_number, start, end, year)
            roll = rng.random()
            if roll < 0.3:  # duplicated funding: another ministry pays for the same thing at the same time
                for _ in range(1 if rng.random() < 0.85 else 2):
                    other = rng.choice([m for m in ministries if m != ministry])
                    year = first_year + rng.randrange(years)
                    start = date(year, rng.randrange(4, 13), 1)
                    end = start + timedelta(days=rng.choice((180, 270, 364, 364)))
                    add_line(
                        org, other, rng.choice(MINISTRIES[other]), theme, project_number, start, end, year
                    )
            elif roll < 0.4:  # the same purpose paid by another ministry later, not at the same time
                other = rng.choice([m for m in ministries if m != ministry])
                year = first_year + years + 1
                add_line(
                    org,
                    other,
                    rng.choice(MINISTRIES[other]),
                    theme,
                    project_number,
                    date(year, 4, 1),
                    date(year + 1, 3, 31),
                    year,
                )
    rng.shuffle(lines)
    return lines, _truth(lines)


def _truth(lines: list[Line]) -> Truth:
    truth = Truth()
    by_project: dict[int, list[Line]] = {}
    for line in lines:
        truth.organization_of[line.record_id] = line.organization
        by_project.setdefault(line.project, []).append(line)
    for group in by_project.values():
        for i, x in enumerate(group):
            for y in group[i + 1 :]:
                if (x.ministry, x.program) == (y.ministry, y.program):
                    continue
                if min(x.end, y.end) < max(x.start, y.start):
                    continue
                if x.ministry == y.ministry and abs(x.fiscal - y.fiscal) == 1:
                    continue
                truth.pairs.add(
                    (x.record_id, y.record_id) if x.record_id < y.record_id else (y.record_id, x.record_id)
                )
    return truth


# The file format the product reads, plus a column it must ignore.
HEADER = [*REQUIRED_COLUMNS, "internal_note"]


def write_csv(lines: list[Line], path: Path) -> None:
    """The import format, with an extra column the reader must ignore; lines shuffled."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for line in lines:
            writer.writerow(
                [
                    line.record_id,
                    line.ministry,
                    line.program,
                    line.name,
                    line.neq,
                    line.city,
                    line.region,
                    line.title,
                    line.description,
                    line.amount,
                    line.start.isoformat(),
                    line.end.isoformat(),
                    f"{line.fiscal}-{line.fiscal + 1}",
                    "",
                ]
            )
