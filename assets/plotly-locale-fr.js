/* Plotly French locale (modebar labels, number and date formats), registered as plotly.js locale files do.
   Keys are plotly.js 4's English strings (4.x renamed some: « Download plot as a PNG », « Image download succeeded »). */
(function () {
  var locale = {
    moduleType: 'locale',
    name: 'fr',
    dictionary: {
      'Autoscale': 'Échelle automatique',
      'Box Select': 'Sélection rectangulaire',
      'Click to enter Colorscale title': "Cliquer pour ajouter un titre à l'échelle de couleurs",
      'Click to enter Plot title': 'Cliquer pour ajouter un titre',
      'Click to enter X axis title': "Cliquer pour ajouter un titre à l'axe des x",
      'Click to enter Y axis title': "Cliquer pour ajouter un titre à l'axe des y",
      'Compare data on hover': 'Comparer les données en survolant',
      'Double-click to zoom back out': 'Double-cliquer pour dézoomer',
      'Download plot': 'Télécharger le graphique',
      'Download plot as a png': 'Télécharger le graphique en PNG',
      'Download plot as a PNG': 'Télécharger le graphique en PNG',
      'Image download succeeded': 'Image enregistrée',
      'Preparing image - this may take a few seconds': "Préparation de l'image : cela peut prendre quelques secondes",
      'Sorry, there was a problem downloading your image!': "Désolé, un problème est survenu lors du téléchargement de l'image",
      'Toggle show closest data on hover': 'Afficher ou masquer les données les plus proches au survol',
      'Reset': 'Réinitialiser',
      'Reset views': 'Réinitialiser les vues',
      'Lasso Select': 'Sélection lasso',
      'Pan': 'Translation',
      'Produced with Plotly.js': 'Généré avec Plotly.js',
      'Reset axes': 'Réinitialiser les axes',
      'Reset view': 'Réinitialiser la vue',
      'Show closest data on hover': 'Afficher les données les plus proches en survolant',
      'Snapshot succeeded': 'Image enregistrée',
      'Sorry, there was a problem downloading your snapshot!': "Désolé, un problème est survenu lors du téléchargement de l'image",
      'Taking snapshot - this may take a few seconds': "Création de l'image : cela peut prendre quelques secondes",
      'Toggle Spike Lines': 'Afficher ou masquer les lignes de repère',
      'Zoom': 'Zoom',
      'Zoom in': 'Zoom avant',
      'Zoom out': 'Zoom arrière',
      'max': 'max.',
      'min': 'min.',
      'trace': 'trace'
    },
    format: {
      days: ['Dimanche', 'Lundi', 'Mardi', 'Mercredi', 'Jeudi', 'Vendredi', 'Samedi'],
      shortDays: ['Dim', 'Lun', 'Mar', 'Mer', 'Jeu', 'Ven', 'Sam'],
      months: ['Janvier', 'Février', 'Mars', 'Avril', 'Mai', 'Juin', 'Juillet', 'Août', 'Septembre', 'Octobre',
               'Novembre', 'Décembre'],
      shortMonths: ['Janv.', 'Févr.', 'Mars', 'Avr.', 'Mai', 'Juin', 'Juil.', 'Août', 'Sept.', 'Oct.', 'Nov.', 'Déc.'],
      date: '%d/%m/%Y',
      decimal: ',',
      thousands: '\u202f'
    }
  };
  if (typeof window.Plotly === 'undefined') {
    window.PlotlyLocales = window.PlotlyLocales || [];
    window.PlotlyLocales.push(locale);
  } else {
    window.Plotly.register(locale);
  }
})();
