// OWL 2 DL profile check and HermiT consistency check, with the OWL API and HermiT that ship
// inside owlready2 (owlready2/hermit/HermiT.jar: HermiT 1.3.8, OWL API 3.4).
// Run as a single-file source program (Java 11+, needs the JDK's compiler):
//     java -cp HermiT.jar OwlCheck.java FILE.owl
// FILE is an RDF/XML document holding everything to check (ontology, vocabularies, data).
// Output, one fact per line, tab-separated, for kg/checks/reason.py to read:
//     violation <TAB> text          one per OWL 2 DL profile violation (OWL API wording)
//     unsupported <TAB> IRI <TAB> n  a datatype outside the OWL 2 datatype map, used by n axioms:
//                                   HermiT cannot reason over such values even when the
//                                   datatype is declared, so those axioms are left out of the
//                                   consistency check (HermiT's ignoreUnsupportedDatatypes)
//     consistent <TAB> true|false
//     unparsable <TAB> message      (exit 2) the file could not be read
// See docs/decisions/20261129-owl2-dl-data.md.

import java.io.File;
import java.util.Map;
import java.util.TreeMap;
import org.semanticweb.HermiT.Configuration;
import org.semanticweb.HermiT.Reasoner;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.OWLDatatype;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;
import org.semanticweb.owlapi.vocab.OWL2Datatype;

public class OwlCheck {
    private static String oneLine(Object o) {
        return String.valueOf(o).replaceAll("\\s+", " ").trim();
    }

    public static void main(String[] args) {
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        OWLOntology ontology;
        try {
            ontology = manager.loadOntologyFromOntologyDocument(new File(args[0]));
        } catch (Exception e) {
            System.out.println("unparsable\t" + oneLine(e.getMessage()));
            System.exit(2);
            return;
        }
        for (OWLProfileViolation v : new OWL2DLProfile().checkOntology(ontology).getViolations()) {
            System.out.println("violation\t" + oneLine(v));
        }
        Map<String, Integer> unsupported = new TreeMap<>();
        for (OWLDatatype d : ontology.getDatatypesInSignature()) {
            if (!d.isTopDatatype() && !OWL2Datatype.isBuiltIn(d.getIRI())) {
                unsupported.put(d.getIRI().toString(), ontology.getReferencingAxioms(d).size());
            }
        }
        for (Map.Entry<String, Integer> e : unsupported.entrySet()) {
            System.out.println("unsupported\t" + e.getKey() + "\t" + e.getValue());
        }
        Configuration configuration = new Configuration();
        configuration.ignoreUnsupportedDatatypes = true;
        boolean consistent = new Reasoner(configuration, ontology).isConsistent();
        System.out.println("consistent\t" + consistent);
    }
}
