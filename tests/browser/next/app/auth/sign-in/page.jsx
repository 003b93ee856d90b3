'use client';
// Sign in and out through the SDK's browser client, which talks to /api/auth (the proxy handler).
import { useState } from 'react';
import { createAuthClient } from '@neondatabase/auth/next';

const authClient = createAuthClient();

export default function SignIn() {
  const [status, setStatus] = useState('');
  async function signIn(e) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setStatus('Signing in…');
    const { data, error } = await authClient.signIn.email({
      email: f.get('email'), password: f.get('password'),
    });
    setStatus(error ? `Sign-in failed: ${error.message ?? error.code ?? error.status}` : `Signed in as ${data.user.email}`);
  }
  async function signOut() {
    setStatus('Signing out…');
    const { error } = await authClient.signOut();
    setStatus(error ? `Sign-out failed: ${error.message ?? error.status}` : 'Signed out');
  }
  return (
    <main>
      <h1>Sign in</h1>
      <form onSubmit={signIn} style={{ display: 'grid', gap: '0.5rem', maxWidth: '20rem' }}>
        <label>Email <input name="email" type="email" required /></label>
        <label>Password <input name="password" type="password" required /></label>
        <button type="submit">Sign in</button>
      </form>
      <p><button type="button" onClick={signOut}>Sign out</button></p>
      <p data-testid="status">{status}</p>
    </main>
  );
}
