export const metadata = { title: 'neon-authd Next.js server-side test' };

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: 'system-ui, sans-serif', margin: '2rem' }}>
        <header style={{ display: 'flex', gap: '1rem', marginBottom: '1.5rem' }}>
          <strong>Next.js + @neondatabase/auth/next</strong>
          <a href="/">Home</a>
          <a href="/dashboard">Dashboard</a>
          <a href="/auth/sign-in">Sign in</a>
        </header>
        {children}
      </body>
    </html>
  );
}
