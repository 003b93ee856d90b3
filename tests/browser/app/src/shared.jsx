// What both pages share: a history-API router, the Link the UI libraries render, the page shell
// (header, navigation, the session line the test reads) and the view switch.
import { useContext, useEffect, useState } from 'react';

export const AUTH_URL = window.NA_AUTH_URL;
// the social providers the branch has (config.js sets NA_SOCIAL = ["google"]): the UI's buttons
export const SOCIAL = window.NA_SOCIAL?.length ? { providers: window.NA_SOCIAL } : undefined;

function current() { return window.location.pathname + window.location.search; }

export function navigate(href) {
  window.history.pushState(null, '', href);
  window.dispatchEvent(new PopStateEvent('popstate'));
}
export function replace(href) {
  window.history.replaceState(null, '', href);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function usePath() {
  const [path, setPath] = useState(current());
  useEffect(() => {
    const on = () => setPath(current());
    window.addEventListener('popstate', on);
    return () => window.removeEventListener('popstate', on);
  }, []);
  return path.split('?')[0];
}

export function Link({ href, className, children, ...rest }) {
  return (
    <a href={href} className={className} {...rest}
      onClick={(e) => {
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
        e.preventDefault();
        navigate(href);
      }}>{children}</a>
  );
}

const bar = { display: 'flex', gap: '1rem', alignItems: 'center', padding: '0.75rem 1.5rem',
  borderBottom: '1px solid #ddd', fontFamily: 'system-ui, sans-serif' };
const main = { display: 'flex', justifyContent: 'center', padding: '2rem 1rem',
  fontFamily: 'system-ui, sans-serif' };

// SessionLine: the one line of page text the test reads to know who is signed in.
function SessionLine({ ui }) {
  const { hooks } = useContext(ui.AuthUIContext);
  const { data, isPending } = hooks.useSession();
  const { data: org } = hooks.useActiveOrganization();
  if (isPending) return <p data-testid="session">Loading session…</p>;
  if (!data?.user) return <p data-testid="session">Not signed in</p>;
  return (
    <>
      <p data-testid="session">
        Signed in as <b>{data.user.email}</b> (name: <b>{data.user.name}</b>)
      </p>
      <p data-testid="active-org">
        Active organization: <b>{data.session.activeOrganizationId ? org?.name ?? '…' : 'none'}</b>
      </p>
    </>
  );
}

// Shell: the page for one library. ui is the library's module (AuthView, AccountView,
// UserButton, AuthUIContext); base is the page's path ("/app/ba").
export function Shell({ ui, base, title }) {
  const path = usePath();
  const rel = path.startsWith(base) ? path.slice(base.length) : path;
  let view;
  if (rel.startsWith('/auth/')) {
    view = <ui.AuthView pathname={path} redirectTo={`${base}/`} />;
  } else if (rel.startsWith('/account/')) {
    view = <ui.AccountView pathname={path} />;
  } else if (rel.startsWith('/organization/')) {
    view = <ui.OrganizationView pathname={path} />;
  } else {
    view = (
      <div style={{ minWidth: '24rem' }}>
        <h2 style={{ fontSize: '1.25rem', fontWeight: 600 }}>Home</h2>
        <SessionLine ui={ui} />
      </div>
    );
  }
  return (
    <>
      <header style={bar}>
        <strong>{title}</strong>
        <Link href={`${base}/`}>Home</Link>
        <Link href={`${base}/auth/sign-in`}>Sign in</Link>
        <Link href={`${base}/auth/sign-up`}>Sign up</Link>
        <Link href={`${base}/account/settings`}>Settings</Link>
        <Link href={`${base}/account/security`}>Security</Link>
        <Link href={`${base}/account/organizations`}>Organizations</Link>
        <span style={{ marginLeft: 'auto' }} />
        <small data-testid="auth-url">App {window.location.origin} · Auth URL {AUTH_URL}</small>
        <ui.OrganizationSwitcher size="sm" />
        <ui.UserButton size="icon" />
      </header>
      <main style={main}>{view}</main>
    </>
  );
}
