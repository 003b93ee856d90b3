// Page 1: the stock components of @daveyplate/better-auth-ui, on better-auth's React client.
import { createRoot } from 'react-dom/client';
import { createAuthClient } from 'better-auth/react';
import { emailOTPClient, organizationClient } from 'better-auth/client/plugins';
import * as ui from '@daveyplate/better-auth-ui';
import { Toaster } from 'sonner';
import { AUTH_URL, Link, SOCIAL, Shell, navigate, replace } from './shared.jsx';
import './ba.css';

const BASE = '/app/ba';
const authClient = createAuthClient({ baseURL: AUTH_URL, plugins: [organizationClient(), emailOTPClient()] });

createRoot(document.getElementById('root')).render(
  <ui.AuthUIProvider authClient={authClient} navigate={navigate} replace={replace} Link={Link}
    social={SOCIAL} baseURL={window.location.origin} organization={{ basePath: `${BASE}/organization` }}
    emailVerification={{ otp: true }}
    basePath={`${BASE}/auth`} account={{ basePath: `${BASE}/account` }} redirectTo={`${BASE}/`}>
    <Shell ui={ui} base={BASE} title="Better Auth UI" />
    <Toaster />
  </ui.AuthUIProvider>,
);
