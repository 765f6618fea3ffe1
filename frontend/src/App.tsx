import { lazy, Suspense, useEffect, useRef, useState, type ComponentType, type LazyExoticComponent } from "react";
import { AuthProvider, isStaff, useAuth, type Me } from "./auth";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { Loading } from "./components/ui";
import { LanguageSelect } from "./components/LanguageSelect";
import { useI18n, type MessageKey } from "./i18n";
import { Link, match, useLocation } from "./router";
import { SignIn } from "./pages/SignIn";

type Module = { default: ComponentType<{ params: Record<string, string> }> };
type Page = LazyExoticComponent<ComponentType<{ params: Record<string, string> }>> & { preload: () => Promise<Module> };
const page = (load: () => Promise<Module>): Page => Object.assign(lazy(load), { preload: load });

const Dashboard = page(() => import("./pages/Dashboard"));
const Directory = page(() => import("./pages/Directory"));
const CollectivityPage = page(() => import("./pages/CollectivityPage"));
const Needs = page(() => import("./pages/Needs"));
const NeedForm = page(() => import("./pages/NeedForm"));
const Partnerships = page(() => import("./pages/Partnerships"));
const Admin = page(() => import("./pages/Admin"));
const NotFound = page(() => import("./pages/NotFound"));
const Events = page(() => import("./pages/Events"));
const EventPage = page(() => import("./pages/EventPage"));
const Census = page(() => import("./pages/Census"));
const CensusCampaign = page(() => import("./pages/CensusCampaign"));
const CensusResponse = page(() => import("./pages/CensusResponse"));
const CensusForm = page(() => import("./pages/CensusForm"));
const CollectivityEdit = page(() => import("./pages/CollectivityEdit"));
const Matching = page(() => import("./pages/Matching"));
const MatchPage = page(() => import("./pages/MatchPage"));
const Imports = page(() => import("./pages/Imports"));

interface Route {
  pattern: string;
  component: Page;
  allowed?: (me: Me) => boolean;
}

/** A municipality's own people land on its page (needs, proposals, events); the others on the programme's dashboard. */
const ownPage = (me: Me): string | null => (me.role === "member" && me.collectivity_id ? me.collectivity_id : null);

function Home({ params }: { params: Record<string, string> }) {
  const { me } = useAuth();
  const own = me ? ownPage(me) : null;
  return own ? <CollectivityPage params={{ id: own }} /> : <Dashboard params={params} />;
}
const HomePage = page(async () => ({ default: Home }));

const ROUTES: Route[] = [
  { pattern: "/", component: HomePage },
  { pattern: "/dashboard", component: Dashboard },
  { pattern: "/collectivities", component: Directory },
  { pattern: "/collectivities/:id", component: CollectivityPage },
  { pattern: "/collectivities/:id/edit", component: CollectivityEdit },
  { pattern: "/needs", component: Needs },
  { pattern: "/needs/new", component: NeedForm },
  { pattern: "/needs/:id", component: NeedForm },
  { pattern: "/partnerships", component: Partnerships },
  { pattern: "/events", component: Events },
  { pattern: "/events/:id", component: EventPage },
  { pattern: "/census", component: Census, allowed: isStaff },
  { pattern: "/census/campaigns/:id", component: CensusCampaign, allowed: isStaff },
  { pattern: "/census/responses/:id", component: CensusResponse, allowed: isStaff },
  { pattern: "/matching", component: Matching },
  { pattern: "/matches/:id", component: MatchPage },
  { pattern: "/imports", component: Imports, allowed: isStaff },
  { pattern: "/admin", component: Admin, allowed: (me) => me.role === "admin" },
];

interface NavItem {
  to: string;
  label: MessageKey;
  show?: (me: Me) => boolean;
}

const NAV: NavItem[] = [
  { to: "/", label: "nav.myCollectivity", show: (me) => ownPage(me) !== null },
  { to: "/", label: "nav.dashboard", show: (me) => ownPage(me) === null },
  { to: "/dashboard", label: "nav.dashboard", show: (me) => ownPage(me) !== null },
  { to: "/collectivities", label: "nav.directory" },
  { to: "/needs", label: "nav.needs" },
  { to: "/partnerships", label: "nav.partnerships" },
  { to: "/events", label: "nav.events" },
  { to: "/census", label: "nav.census", show: isStaff },
  { to: "/matching", label: "nav.matching" },
  { to: "/imports", label: "nav.imports", show: isStaff },
  { to: "/admin", label: "nav.admin", show: (me) => me.role === "admin" },
];

/** Public screens that work without signing in (rendered without the app's chrome). */
const PUBLIC_ROUTES: { pattern: string; component: Page }[] = [{ pattern: "/census/:token", component: CensusForm }];

export function App() {
  return (
    <ErrorBoundary>
      <AuthProvider>
        <Shell />
      </AuthProvider>
    </ErrorBoundary>
  );
}


function Shell() {
  const { path } = useLocation();
  const { me, checking, signOut } = useAuth();
  const { t } = useI18n();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  // On a phone the navigation and tools fold behind one "Menu" button, so the header stays one line.
  const [menuOpen, setMenuOpen] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new path (navigation) closes the menu
  useEffect(() => setMenuOpen(false), [path]);

  // Move focus to the content after client-side navigation, for keyboard and screen-reader users.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on each new path (navigation)
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [path]);

  for (const r of PUBLIC_ROUTES) {
    const params = match(r.pattern, path);
    if (params) {
      const C = r.component;
      return (
        <Suspense fallback={<Loading />}>
          <C params={params} />
        </Suspense>
      );
    }
  }

  if (checking) {
    // While the saved session is checked, fetch the screen's code in parallel.
    const r = ROUTES.find((x) => match(x.pattern, path));
    void r?.component.preload().catch(() => undefined);
    return <Loading />;
  }
  if (!me) return <SignIn />;

  let content = null;
  for (const r of ROUTES) {
    const params = match(r.pattern, path);
    if (params) {
      const C = r.allowed && !r.allowed(me) ? NotFound : r.component;
      content = <C params={params} />;
      break;
    }
  }
  content ??= <NotFound params={{}} />;

  const current = (to: string) => (to === "/" ? path === "/" : path === to || path.startsWith(`${to}/`));
  return (
    <>
      <a href="#main" className="skip-link">
        {t("nav.skip")}
      </a>
      <header className={menuOpen ? "topbar menu-open" : "topbar"}>
        <Link to="/" className="brand">
          <span aria-hidden="true" className="brand-mark">
            ج
          </span>{" "}
          Jisr
        </Link>
        <button type="button" className="btn btn-quiet menu-button" aria-expanded={menuOpen} aria-controls="topbar-menu" onClick={() => setMenuOpen((o) => !o)}>
          {t("nav.menu")}
        </button>
        <nav aria-label={t("nav.label")} className="mainnav" id="topbar-menu">
          <ul>
            {NAV.filter((n) => !n.show || n.show(me)).map((n) => (
              <li key={`${n.to}-${n.label}`}>
                <Link to={n.to} aria-current={current(n.to) ? "page" : undefined}>
                  {t(n.label)}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="topbar-tools">
          <LanguageSelect />
          <span className="whoami" title={me.email ?? me.client_id ?? ""}>
            {me.full_name || me.email} <small className="muted">({t(`role.${me.role}` as MessageKey)})</small>
          </span>
          <button type="button" className="btn btn-quiet" onClick={signOut}>
            {t("auth.signOut")}
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1} className={isStaff(me) ? "main" : "main main-limited"}>
        <ErrorBoundary key={path}>
          <Suspense fallback={<Loading />}>{content}</Suspense>
        </ErrorBoundary>
      </main>
    </>
  );
}
