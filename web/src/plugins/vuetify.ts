import '@mdi/font/css/materialdesignicons.css';
import 'vuetify/styles';
import { createVuetify } from 'vuetify';
import { SEVERITY_COLORS } from '../composables/use-severity';

export const vuetify = createVuetify({
  theme: {
    defaultTheme: 'q2h',
    themes: {
      q2h: {
        dark: false,
        colors: {
          background: '#f3f5f8',
          surface: '#ffffff',
          primary: '#1f4e8c',
          secondary: '#37474f',
          appbar: '#101b2d',
          error: '#c62828',
          warning: '#ef6c00',
          success: '#2e7d32',
          info: '#1e88e5',
          sev5: SEVERITY_COLORS[5],
          sev4: SEVERITY_COLORS[4],
          sev3: SEVERITY_COLORS[3],
          sev2: SEVERITY_COLORS[2],
          sev1: SEVERITY_COLORS[1],
        },
      },
    },
  },
  defaults: {
    VTable: { density: 'compact' },
    VDataTable: { density: 'compact' },
    VTextField: { variant: 'outlined', density: 'comfortable' },
    VSelect: { variant: 'outlined', density: 'compact' },
    VCard: { rounded: 'lg' },
    VBtn: { rounded: 'md' },
  },
});
