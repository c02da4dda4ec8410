"""Static facts the demo tenant is built from: places, networks, apps, error texts.

Everything here is data. First-party application ids are Microsoft's well-known public ids, so
queries that filter on them (Sentinel's lists of PowerShell/CLI app ids, for instance) match.
Attacker networks use the documentation address blocks (RFC 5737), so no real host is named.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class City:
    name: str
    state: str
    country: str
    lat: float
    lon: float
    utc_offset: int  # hours; no daylight saving: simulated people keep the same hours all year


@dataclass(frozen=True, slots=True)
class Network:
    """An autonomous system and the address prefixes the simulator draws from it."""

    key: str
    asn: int
    kind: str  # isp | mobile | office | hosting | tor | hotel | azure
    prefixes: tuple[str, ...]  # "73.42" draws 73.42.x.y; "203.0.113" draws 203.0.113.x
    cities: tuple[City, ...]


SEATTLE = City("Seattle", "Washington", "US", 47.6062, -122.3321, -8)
REDMOND = City("Redmond", "Washington", "US", 47.674, -122.1215, -8)
NEW_YORK = City("New York", "New York", "US", 40.7128, -74.006, -5)
CHICAGO = City("Chicago", "Illinois", "US", 41.8781, -87.6298, -6)
LONDON = City("London", "England", "GB", 51.5074, -0.1278, 0)
MANCHESTER = City("Manchester", "England", "GB", 53.4808, -2.2426, 0)
BERLIN = City("Berlin", "Berlin", "DE", 52.52, 13.405, 1)
MUNICH = City("Munich", "Bayern", "DE", 48.1351, 11.582, 1)
PARIS = City("Paris", "Ile-de-France", "FR", 48.8566, 2.3522, 1)
MADRID = City("Madrid", "Madrid", "ES", 40.4168, -3.7038, 1)
TOKYO = City("Tokyo", "Tokyo", "JP", 35.6762, 139.6503, 9)
TORONTO = City("Toronto", "Ontario", "CA", 43.6532, -79.3832, -5)
SAO_PAULO = City("Sao Paulo", "Sao Paulo", "BR", -23.5505, -46.6333, -3)
AMSTERDAM = City("Amsterdam", "Noord-Holland", "NL", 52.3676, 4.9041, 1)
BUCHAREST = City("Bucharest", "Bucuresti", "RO", 44.4268, 26.1025, 2)
MOSCOW = City("Moscow", "Moscow", "RU", 55.7558, 37.6173, 3)
SINGAPORE = City("Singapore", "Singapore", "SG", 1.3521, 103.8198, 8)
LAGOS = City("Lagos", "Lagos", "NG", 6.5244, 3.3792, 1)
DUBLIN = City("Dublin", "Dublin", "IE", 53.3498, -6.2603, 0)
QUINCY = City("Quincy", "Washington", "US", 47.2343, -119.8526, -8)

# Where members live and work: (home city, weight). The tenant has offices in Seattle and London.
HOME_CITIES: tuple[tuple[City, int], ...] = (
    (SEATTLE, 40),
    (REDMOND, 15),
    (NEW_YORK, 8),
    (CHICAGO, 5),
    (LONDON, 18),
    (MANCHESTER, 4),
    (BERLIN, 6),
    (MUNICH, 4),
)

HOME_ISPS: dict[str, tuple[Network, ...]] = {
    "US": (
        Network("comcast", 7922, "isp", ("73.42", "73.97", "98.232", "24.18"), ()),
        Network("verizon", 701, "isp", ("71.105", "108.28"), ()),
        Network("att", 7018, "isp", ("99.110", "107.77"), ()),
    ),
    "GB": (
        Network("bt", 2856, "isp", ("86.150", "81.129"), ()),
        Network("virgin", 5089, "isp", ("82.23", "80.192"), ()),
        Network("sky", 5607, "isp", ("90.216", "2.24"), ()),
    ),
    "DE": (
        Network("telekom", 3320, "isp", ("91.32", "87.148"), ()),
        Network("vodafone-de", 3209, "isp", ("88.65", "94.134"), ()),
    ),
}

MOBILE: dict[str, Network] = {
    "US": Network("tmobile-us", 21928, "mobile", ("172.56", "172.58"), ()),
    "GB": Network("ee", 12576, "mobile", ("92.40", "31.94"), ()),
    "DE": Network("telefonica-de", 6805, "mobile", ("176.1", "77.3"), ()),
}

# Office egress addresses: the trusted named locations.
OFFICE_HQ = Network("contoso-hq", 8075, "office", ("203.0.113",), (SEATTLE,))
OFFICE_LONDON = Network("contoso-london", 8075, "office", ("203.0.113",), (LONDON,))
HQ_IPS = ("203.0.113.10", "203.0.113.11", "203.0.113.12")
LONDON_IPS = ("203.0.113.40", "203.0.113.41")

# Hotels and cafes abroad: where travellers sign in from.
TRAVEL: tuple[Network, ...] = (
    Network("orange-fr", 3215, "hotel", ("90.84", "86.246"), (PARIS,)),
    Network("telefonica-es", 3352, "hotel", ("83.44", "80.28"), (MADRID,)),
    Network("ntt-jp", 2914, "hotel", ("61.213", "118.238"), (TOKYO,)),
    Network("rogers-ca", 812, "hotel", ("99.224", "174.112"), (TORONTO,)),
    Network("vivo-br", 26599, "hotel", ("177.54", "189.40"), (SAO_PAULO,)),
)

# Attackers: hosting providers, a Tor exit and a residential proxy, all in documentation ranges.
ATTACK: tuple[Network, ...] = (
    Network("m247", 9009, "hosting", ("192.0.2",), (BUCHAREST, AMSTERDAM)),
    Network("digitalocean", 14061, "hosting", ("198.51.100",), (AMSTERDAM, SINGAPORE)),
    Network("rostelecom", 12389, "hosting", ("192.0.2",), (MOSCOW,)),
    Network("proxy-ng", 36873, "hosting", ("198.51.100",), (LAGOS,)),
)
TOR = Network("tor-exit", 208323, "tor", ("192.0.2",), (AMSTERDAM, BERLIN))

# Where service principals and managed identities authenticate from.
AZURE = Network("azure", 8075, "azure", ("20.51", "40.64"), (QUINCY, DUBLIN))


@dataclass(frozen=True, slots=True)
class App:
    app_id: str
    name: str
    resource_id: str
    resource: str
    client: str  # "Browser" | "Mobile Apps and Desktop clients"
    device: str  # laptop | phone
    weight: int  # interactive weight
    nonint: int  # non-interactive weight
    admin_only: bool = False


GRAPH = ("00000003-0000-0000-c000-000000000000", "Microsoft Graph")
EXCHANGE = ("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online")
SHAREPOINT = ("00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online")
TEAMS_SVC = ("cc15fd57-2c6c-4117-a88c-83b1d56b4bbe", "Microsoft Teams Services")
AZURE_MGMT = ("797f4846-ba00-4fd7-ba43-dac1f8f63013", "Windows Azure Service Management API")
AAD_GRAPH = ("00000002-0000-0000-c000-000000000000", "Windows Azure Active Directory")
DEVICE_REG = ("01cb2876-7ebd-4aa4-9cc9-d28bd4d359a9", "Device Registration Service")
KEY_VAULT = ("cfa8b339-82a2-471a-a3c9-0fc0be7a4093", "Azure Key Vault")
STORAGE = ("e406a681-f3d4-42a8-90b6-c2b029497af1", "Azure Storage")
RESOURCES = (GRAPH, EXCHANGE, SHAREPOINT, TEAMS_SVC, AZURE_MGMT, AAD_GRAPH, DEVICE_REG, KEY_VAULT)


def _app(
    app_id: str,
    name: str,
    res: tuple[str, str],
    client: str,
    device: str,
    weight: int,
    nonint: int,
    admin_only: bool = False,
) -> App:
    return App(app_id, name, res[0], res[1], client, device, weight, nonint, admin_only)


DESKTOP = "Mobile Apps and Desktop clients"
APPS: tuple[App, ...] = (
    _app(
        "4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome", SHAREPOINT, "Browser", "laptop", 14, 0
    ),
    _app(
        "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
        "Microsoft Teams",
        TEAMS_SVC,
        DESKTOP,
        "laptop",
        18,
        30,
    ),
    _app(
        "d3590ed6-52b3-4102-aeff-aad2292ab01c",
        "Microsoft Office",
        EXCHANGE,
        DESKTOP,
        "laptop",
        12,
        24,
    ),
    _app(
        "00000003-0000-0ff1-ce00-000000000000",
        "Office 365 SharePoint Online",
        SHAREPOINT,
        "Browser",
        "laptop",
        8,
        0,
    ),
    _app(
        "ab9b8c07-8f02-4f72-87fa-80105867a763",
        "OneDrive SyncEngine",
        SHAREPOINT,
        DESKTOP,
        "laptop",
        0,
        16,
    ),
    _app("ecd6b820-32c2-49b6-98a6-444530e5a77a", "Microsoft Edge", GRAPH, DESKTOP, "laptop", 0, 8),
    _app(
        "38aa3b87-a06d-4817-b275-7a316988d93b",
        "Windows Sign In",
        AAD_GRAPH,
        DESKTOP,
        "laptop",
        6,
        0,
    ),
    _app(
        "27922004-5251-4030-b22d-91ecd9a37ea4", "Outlook Mobile", EXCHANGE, DESKTOP, "phone", 5, 14
    ),
    _app(
        "29d9ed98-a469-4536-ade2-f981bc1d605e",
        "Microsoft Authentication Broker",
        DEVICE_REG,
        DESKTOP,
        "phone",
        2,
        6,
    ),
    _app(
        "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
        "Azure Portal",
        AZURE_MGMT,
        "Browser",
        "laptop",
        10,
        6,
        True,
    ),
    _app(
        "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
        "Microsoft Azure CLI",
        AZURE_MGMT,
        DESKTOP,
        "laptop",
        3,
        4,
        True,
    ),
)
MY_SIGNINS = _app(
    "19db86c3-b2b9-44cc-b339-36da233a3be2", "My Signins", GRAPH, "Browser", "laptop", 0, 0
)
AZURE_PORTAL = APPS[9]
EXCHANGE_APP = _app(EXCHANGE[0], EXCHANGE[1], EXCHANGE, DESKTOP, "phone", 0, 0)

# Line-of-business apps registered in the tenant: (name, weight); ids are drawn per tenant.
LOB_APPS = (("Contoso HR Portal", 3), ("Contoso Expenses", 2))

# Service principals and managed identities that sign in on a timer:
# (name, kind, every hours, resource, credential type, weekdays only)
WORKLOADS: tuple[tuple[str, str, int, tuple[str, str], str, bool], ...] = (
    ("Contoso Backup Automation", "sp", 1, GRAPH, "clientSecret", False),
    ("Contoso CI/CD Pipeline", "sp", 4, AZURE_MGMT, "federatedIdentityCredential", True),
    ("contoso-func-invoices", "mi", 2, KEY_VAULT, "managedIdentity", False),
    ("contoso-vm-build01", "mi", 6, STORAGE, "managedIdentity", False),
)

LEGACY_CLIENTS = ("Exchange ActiveSync", "IMAP4", "POP3", "Authenticated SMTP", "Other clients")

# Result codes: (failureReason, additionalDetails) as Entra writes them.
ERRORS: dict[int, tuple[str, str]] = {
    0: ("", ""),
    16000: (
        "Either multiple user identities are available for the current request or selected "
        "account is not supported for the scenario.",
        "",
    ),
    50034: (
        "The user account does not exist in the tenant directory. To sign into this "
        "application, the account must be added to the directory.",
        "",
    ),
    50053: (
        "The account is locked, you've tried to sign in too many times with an incorrect user "
        "ID or password.",
        "The account is locked because of too many sign-in attempts with an incorrect user ID "
        "or password (Smart Lockout).",
    ),
    50057: ("The user account is disabled.", ""),
    50058: ("Session information is not sufficient for single-sign-on.", ""),
    50072: ("User needs to enroll for second factor authentication.", ""),
    50074: ("Strong Authentication is required.", ""),
    50126: (
        "Error validating credentials due to invalid username or password.",
        "The user didn't enter the right credentials. It's expected to see some number of "
        "these errors in your logs due to users making mistakes.",
    ),
    50140: (
        "This error occurred due to 'Keep me signed in' interrupt when the user was signing in.",
        "",
    ),
    50173: (
        "The provided grant has expired due to it being revoked, a fresh auth token is needed. "
        "The user might have changed or reset their password.",
        "",
    ),
    53003: (
        "Access has been blocked by Conditional Access policies. The access policy does not "
        "allow token issuance.",
        "",
    ),
    500121: ("Authentication failed during strong authentication request.", ""),
    7000215: (
        "Invalid client secret provided. Ensure the secret being sent in the request is the "
        "client secret value, not the client secret ID, for a secret added to app.",
        "",
    ),
}

FIRST_NAMES = [
    "Adele",
    "Alex",
    "Allan",
    "Amara",
    "Ana",
    "Anders",
    "Anika",
    "Arjun",
    "Ben",
    "Bianca",
    "Brian",
    "Camila",
    "Carlos",
    "Chen",
    "Chloe",
    "Christie",
    "Dan",
    "Daniela",
    "David",
    "Debra",
    "Diego",
    "Elena",
    "Emily",
    "Emma",
    "Erik",
    "Fatima",
    "Felix",
    "Grace",
    "Hana",
    "Hannah",
    "Henrik",
    "Isaac",
    "Isabella",
    "Ivan",
    "Jakob",
    "James",
    "Jana",
    "Johanna",
    "Jonas",
    "Jordan",
    "Julia",
    "Kai",
    "Karin",
    "Kenji",
    "Lara",
    "Lee",
    "Leila",
    "Lena",
    "Liam",
    "Lidia",
    "Lucas",
    "Lynne",
    "Maria",
    "Marta",
    "Megan",
    "Miguel",
    "Mila",
    "Miriam",
    "Nestor",
    "Nina",
    "Noah",
    "Olivia",
    "Omar",
    "Patti",
    "Pradeep",
    "Priya",
    "Rafael",
    "Raj",
    "Robin",
    "Sara",
    "Sofia",
    "Sven",
    "Tariq",
    "Tomas",
    "Una",
    "Victor",
    "Wei",
    "Yara",
    "Yusuf",
    "Zoe",
]
LAST_NAMES = [
    "Abbott",
    "Adams",
    "Ahmed",
    "Alvarez",
    "Andersen",
    "Baker",
    "Banerjee",
    "Becker",
    "Berg",
    "Brown",
    "Campbell",
    "Carter",
    "Chavez",
    "Chen",
    "Clarke",
    "Cohen",
    "Costa",
    "Davies",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Gomez",
    "Gupta",
    "Hansen",
    "Harris",
    "Hoffmann",
    "Hughes",
    "Ito",
    "Jensen",
    "Johnson",
    "Kaur",
    "Keller",
    "Khan",
    "Kim",
    "Klein",
    "Kowalski",
    "Larsen",
    "Lee",
    "Lopez",
    "Martin",
    "Meyer",
    "Miller",
    "Moreau",
    "Murphy",
    "Nakamura",
    "Nguyen",
    "Novak",
    "Okafor",
    "Olsen",
    "Park",
    "Patel",
    "Perez",
    "Petrov",
    "Quinn",
    "Rossi",
    "Sanchez",
    "Schmidt",
    "Schulz",
    "Silva",
    "Singh",
    "Smith",
    "Sorensen",
    "Suzuki",
    "Tanaka",
    "Taylor",
    "Thompson",
    "Vance",
    "Wagner",
    "Walker",
    "Weber",
    "Williams",
    "Wilson",
    "Wong",
    "Young",
    "Zhang",
]

GUEST_DOMAINS = (
    "fabrikam.com",
    "northwindtraders.com",
    "adatum.com",
    "tailspintoys.com",
    "gmail.com",
)

GROUPS = (
    "All Staff",
    "Finance",
    "Sales",
    "Engineering",
    "Marketing",
    "HR",
    "IT Operations",
    "Project Phoenix",
    "Contoso Leadership",
    "Azure Subscription Owners",
)

# (display name, role template id). Template ids are Entra's built-in role ids.
ROLES: dict[str, str] = {
    "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
    "Security Administrator": "194ae4cb-b126-40b2-bd5b-6091b380977d",
    "User Administrator": "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "Helpdesk Administrator": "729827e3-9c14-49f7-bb1b-9608f156bbb8",
    "Reports Reader": "4a5d8f65-41da-4de4-8968-e035b65339cf",
    "Security Reader": "5d6b6bb7-de71-4623-b4af-96380a352509",
}

SPRAY_PASSWORDS = ("Spring2024!", "Welcome1", "Password123", "Contoso2024!", "Summer2024!")


@lru_cache(maxsize=512)
def user_agent(app: str, platform: str) -> str:
    """The User-Agent an app sends from a platform (windows, mac, ios, android)."""
    win = "Windows NT 10.0; Win64; x64"
    chrome = "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
    if platform == "ios":
        if app == "Outlook Mobile":
            return "Outlook-iOS/2.0"
        return (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Mobile/15E148"
        )
    if platform == "android":
        if app == "Outlook Mobile":
            return "Outlook-Android/2.0"
        return (
            f"Mozilla/5.0 (Linux; Android 14; Pixel 8) {chrome.replace('Safari', 'Mobile Safari')}"
        )
    if app == "Windows Sign In":
        return "Windows-AzureAD-Authentication-Provider/1.0"
    if app == "Microsoft Office":
        if platform == "mac":
            return "Microsoft Office/16.0 (Macintosh; Mac OS X 14.4; Microsoft Outlook 16.84)"
        return "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17531; Pro)"
    if app == "OneDrive SyncEngine":
        return "Microsoft SkyDriveSync 24.055.0317.0002 ship; Windows NT 10.0 (19045)"
    if app == "Microsoft Azure CLI":
        return "python/3.11.8 (Windows-10-10.0.19045-SP0) AZURECLI/2.59.0"
    if platform == "mac":
        return (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.4 Safari/605.1.15"
        )
    edge = f"Mozilla/5.0 ({win}) {chrome} Edg/124.0.0.0"
    if app == "Microsoft Teams":
        return edge + " Teams/24102.2223.2870.9480"
    return edge
