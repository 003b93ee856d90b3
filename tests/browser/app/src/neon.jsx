// Page 2: @neondatabase/auth-ui on the Neon SDK's client (@neondatabase/auth, React adapter).
import { createRoot } from 'react-dom/client';
import { createAuthClient } from '@neondatabase/auth';
import { BetterAuthReactAdapter } from '@neondatabase/auth/react/adapters';
import * as ui from '@neondatabase/auth-ui';
import '@neondatabase/auth-ui/css';
import { AUTH_URL, Link, SOCIAL, Shell, navigate, replace } from './shared.jsx';

const BASE = '/app/neon';
const authClient = createAuthClient(AUTH_URL, { adapter: BetterAuthReactAdapter() });

createRoot(document.getElementById('root')).render(
  <ui.NeonAuthUIProvider authClient={authClient} navigate={navigate} replace={replace} Link={Link}
    social={SOCIAL} baseURL={window.location.origin} organization={{ basePath: `${BASE}/organization` }}
    emailVerification={{ otp: true }}
    basePath={`${BASE}/auth`} account={{ basePath: `${BASE}/account` }} redirectTo={`${BASE}/`}
    defaultTheme="light">
    <Shell ui={ui} base={BASE} title="Neon Auth UI" />
  </ui.NeonAuthUIProvider>,
);
